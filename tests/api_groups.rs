//! `groups/*`: the group view, panels and invites.

mod common;

use common::{Server, GENERAL, GROUP, TOWN_SQUARE};
use serde_json::{json, Value};

fn names(panels: &Value) -> Vec<String> {
    panels
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[actix_rt::test]
async fn groups_get_has_the_union_shape_with_the_default_panels() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    for body in [
        json!({}),
        json!({"groupId": GROUP}),
        json!({"workspaceId": "agentgate"}),
    ] {
        let r = c.call(&a, "groups/get", body).await;
        let d = r.data();
        assert_eq!(d["_id"], GROUP);
        assert_eq!(d["id"], GROUP);
        assert_eq!(names(&d["panels"]), ["general", "town-square"]);
        assert_eq!(d["panels"][0]["id"], GENERAL);
        assert_eq!(d["panels"][0]["_id"], GENERAL);
        assert_eq!(d["panels"][0]["type"], 0);
        assert_eq!(d["panels"][0]["isPublic"], true);
        assert_eq!(d["panels"][1]["id"], TOWN_SQUARE);
        let members: Vec<&str> = d["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["userId"].as_str().unwrap())
            .collect();
        assert_eq!(members, [a.id.as_str(), b.id.as_str()]);
        assert_eq!(d["workspace"]["id"], "agentgate");
        assert_eq!(d["groups"][0]["group"]["id"], GROUP);
        assert_eq!(names(&d["groups"][0]["panels"]), ["general", "town-square"]);
    }
    c.call(
        &a,
        "groups/get",
        json!({"groupId": "000000000000000000000000"}),
    )
    .await
    .error(404);
}

#[actix_rt::test]
async fn panels_create_accepts_both_bodies_and_returns_the_panel_list() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let seed = c
        .call(&a, "groups/panels/create", json!({"groupId": GROUP, "name": "customer-support", "description": "Help desk", "isPublic": true, "metadata": {"creator": "agent"}}))
        .await;
    let d = seed.data().clone();
    assert_eq!(d["name"], "customer-support");
    assert_eq!(d["type"], 0);
    assert_eq!(d["isPublic"], true);
    assert_eq!(d["description"], "Help desk");
    assert_eq!(d["meta"], json!({"creator": "agent"}));
    assert_eq!(d["groupId"], GROUP);
    assert_eq!(d["panel"]["id"], d["id"]);
    assert_eq!(
        names(&d["panels"]),
        ["general", "town-square", "customer-support"]
    );
    let real = c
        .call(&a, "groups/panels/create", json!({"name": "Topics", "type": 2, "provider": "com.msgbyte.topic", "pluginPanelName": "com.msgbyte.topic/grouppanel"}))
        .await;
    let r = real.data();
    assert_eq!(r["type"], 2);
    assert_eq!(r["provider"], "com.msgbyte.topic");
    assert_eq!(r["pluginPanelName"], "com.msgbyte.topic/grouppanel");
    c.call(
        &a,
        "groups/panels/create",
        json!({"description": "no name"}),
    )
    .await
    .error(400);
    c.call(&a, "groups/panels/create", json!({"name": "x", "type": 7}))
        .await
        .error(400);
    c.call(
        &a,
        "groups/panels/create",
        json!({"name": "x", "groupId": "000000000000000000000000"}),
    )
    .await
    .error(404);
    // Plugin panels take no messages.
    let m = c
        .call(
            &a,
            "groups/panels/send",
            json!({"panelId": r["id"], "content": "hi"}),
        )
        .await
        .error(400);
    assert!(m.contains("text panel"), "{m}");
}

#[actix_rt::test]
async fn panel_send_derives_the_group_and_lists_newest_first() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    // A wrong groupId hint (the panel id, as one real client sends it) is ignored.
    let r = c.call(&a, "groups/panels/send", json!({"panelId": GENERAL, "groupId": GENERAL, "content": format!("hello <@{}>", b.id)})).await;
    let d = r.data();
    assert_eq!(d["groupId"], GROUP);
    assert_eq!(d["panelId"], GENERAL);
    let m = &d["message"];
    assert_eq!(m["groupId"], GROUP);
    assert_eq!(m["panelId"], GENERAL);
    assert_eq!(m["meta"]["mentions"], json!([b.id]));
    assert_eq!(m["seq"], 1);
    c.call(
        &b,
        "groups/panels/send",
        json!({"panelId": GENERAL, "content": "second", "replyTo": m["messageId"]}),
    )
    .await
    .data();
    let h = c
        .call(
            &b,
            "groups/panels/messages",
            json!({"panelId": GENERAL, "limit": 10}),
        )
        .await;
    let h = h.data();
    assert_eq!(h["groupId"], GROUP);
    assert_eq!(h["panelId"], GENERAL);
    let contents: Vec<&str> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents[0], "second");
    assert_eq!(h["items"], h["messages"]);
    assert_eq!(h["messages"][0]["replyTo"], m["messageId"]);
    assert_eq!(h["messages"][0]["seq"], 2);
    // Per-panel seq: another panel starts at 1.
    let t = c
        .call(
            &a,
            "groups/panels/send",
            json!({"panelId": TOWN_SQUARE, "content": "square"}),
        )
        .await;
    assert_eq!(t.data()["message"]["seq"], 1);
    c.call(
        &a,
        "groups/panels/send",
        json!({"panelId": "000000000000000000000000", "content": "x"}),
    )
    .await
    .error(404);
    c.call(&a, "groups/panels/send", json!({"content": "x"}))
        .await
        .error(400);
    c.call(&a, "groups/panels/send", json!({"panelId": GENERAL}))
        .await
        .error(400);
}

#[actix_rt::test]
async fn private_panels_belong_to_their_members() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let p = c
        .call(
            &a,
            "groups/panels/create",
            json!({"name": "admin-only", "isPublic": false, "members": [b.id]}),
        )
        .await;
    let pid = p.data()["id"].as_str().unwrap().to_string();
    assert_eq!(p.data()["members"], json!([a.id, b.id]));
    c.call(
        &b,
        "groups/panels/send",
        json!({"panelId": pid, "content": "members only"}),
    )
    .await
    .data();
    c.call(
        &d,
        "groups/panels/send",
        json!({"panelId": pid, "content": "let me in"}),
    )
    .await
    .error(403);
    c.call(&d, "groups/panels/messages", json!({"panelId": pid}))
        .await
        .error(403);
    let seen_by_d = c.call(&d, "groups/get", json!({})).await;
    assert_eq!(
        names(&seen_by_d.data()["panels"]),
        ["general", "town-square"]
    );
    let seen_by_b = c.call(&b, "groups/get", json!({})).await;
    assert_eq!(
        names(&seen_by_b.data()["panels"]),
        ["general", "town-square", "admin-only"]
    );
}

#[actix_rt::test]
async fn modify_and_delete_are_for_the_creator_only() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let p = c
        .call(&a, "groups/panels/create", json!({"name": "draft"}))
        .await;
    let pid = p.data()["id"].as_str().unwrap().to_string();
    let m = c
        .call(
            &a,
            "groups/panels/modify",
            json!({"panelId": pid, "name": "final", "meta": {"topic": "x"}}),
        )
        .await;
    assert_eq!(m.data()["name"], "final");
    assert_eq!(m.data()["meta"], json!({"topic": "x"}));
    assert_eq!(m.data()["type"], 0);
    c.call(
        &b,
        "groups/panels/modify",
        json!({"panelId": pid, "name": "hijack"}),
    )
    .await
    .error(403);
    c.call(
        &a,
        "groups/panels/modify",
        json!({"panelId": GENERAL, "name": "mine"}),
    )
    .await
    .error(403);
    c.call(
        &a,
        "groups/panels/modify",
        json!({"panelId": pid, "name": ""}),
    )
    .await
    .error(400);
    c.call(&b, "groups/panels/delete", json!({"panelId": pid}))
        .await
        .error(403);
    let del = c
        .call(
            &a,
            "groups/panels/delete",
            json!({"panelId": pid, "groupId": GROUP}),
        )
        .await;
    assert_eq!(del.data()["deleted"], true);
    c.call(
        &a,
        "groups/panels/send",
        json!({"panelId": pid, "content": "gone?"}),
    )
    .await
    .error(404);
    let g = c.call(&a, "groups/get", json!({})).await;
    assert_eq!(names(&g.data()["panels"]), ["general", "town-square"]);
}

#[actix_rt::test]
async fn invites_are_created_and_joined() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let i = c
        .call(
            &a,
            "groups/createInvite",
            json!({"inviteType": "permanent"}),
        )
        .await;
    let code = i.data()["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 12);
    assert_eq!(i.data()["expiresAt"], json!(null));
    let normal = c.call(&a, "groups/createInvite", json!({})).await;
    assert!(normal.data()["expiresAt"].as_str().unwrap().ends_with('Z'));
    let j = c
        .call(&b, "groups/joinByInvite", json!({"code": code}))
        .await;
    assert_eq!(j.data()["groupId"], GROUP);
    assert_eq!(j.data()["workspaceId"], "agentgate");
    c.call(&b, "groups/joinByInvite", json!({"code": "nope"}))
        .await
        .error(404);
    c.call(&b, "groups/joinByInvite", json!({}))
        .await
        .error(400);
    c.call(&a, "groups/createInvite", json!({"inviteType": "forever"}))
        .await
        .error(400);
}
