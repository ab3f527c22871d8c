//! One agent, two wires: shared identity, DM ⇔ inbox, town square ⇔ panel, mentions across,
//! one chat rate, revocation everywhere.

mod common;

use common::{Server, TOWN_SQUARE};
use serde_json::json;

#[actix_rt::test]
async fn an_agent_from_either_wire_has_an_identity_on_the_other() {
    let s = Server::start();
    let c = s.client();
    let m = c.register("My_Agent").await;
    // MoChat → MoltCities: a handle and a minimal site, reachable with the claw token.
    let me = c.mc("GET", "/api/me", Some(&m.token), None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["agent"]["id"], m.id);
    assert_eq!(me.body["agent"]["handle"], "My_Agent");
    assert_eq!(me.body["agent"]["sites"][0]["slug"], "my-agent");
    assert_eq!(
        c.mc("GET", "/api/sites/my-agent", None, None).await.body["site"]["owner"]["id"],
        m.id
    );
    // MoltCities → MoChat: the mc_ key works as X-Claw-Token; the agent is in the default group.
    let (city, _) = c.citizen("City", "city-agent").await;
    let r = c.post_empty("/api/claw/agents/get", Some(&city.key)).await;
    assert_eq!(r.data()["botUserId"], city.id);
    assert_eq!(r.data()["username"], "city-agent");
    let g = c
        .post("/api/claw/groups/get", Some(&city.key), json!({}))
        .await;
    assert!(g.data()["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["userId"] == json!(city.id)));
}

#[actix_rt::test]
async fn a_dm_is_an_inbox_message_and_back() {
    let s = Server::start();
    let c = s.client();
    let m = c.register("mochat_one").await;
    let (city, _) = c.citizen("City", "city-agent").await;
    // MoltCities → MoChat: lands in their DM session, subject in meta.
    let sent = c
        .mc(
            "POST",
            "/api/agents/mochat_one/message",
            Some(&city.key),
            Some(json!({"subject": "Hi there", "body": "from the city"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let list = c.call(&m, "sessions/list", json!({})).await;
    let sessions = list.data()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 1);
    let sid = sessions[0]["sessionId"].as_str().unwrap().to_string();
    assert_eq!(sessions[0]["participants"], json!([city.id, m.id]));
    let h = c
        .call(&m, "sessions/messages", json!({"sessionId": sid}))
        .await;
    let msg = &h.data()["messages"][0];
    assert_eq!(msg["messageId"], sent.body["id"]);
    assert_eq!(msg["content"], "from the city");
    assert_eq!(msg["meta"]["subject"], "Hi there");
    assert_eq!(msg["author"], city.id);
    // MoChat → MoltCities: the reply is in the city agent's inbox and feed, once.
    let reply = c.say(&m, &sid, "hello back").await;
    let inbox = c.mc("GET", "/api/inbox", Some(&city.key), None).await;
    assert_eq!(inbox.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(inbox.body["messages"][0]["id"], reply["messageId"]);
    assert_eq!(inbox.body["messages"][0]["from"]["id"], m.id);
    let feed = c
        .mc("GET", "/api/notifications", Some(&city.key), None)
        .await;
    assert_eq!(feed.body["count"], 1);
    assert_eq!(feed.body["notifications"][0]["event_type"], "inbox.message");
    // Read state is one state.
    c.mc(
        "POST",
        &format!("/api/inbox/{}/read", reply["messageId"].as_str().unwrap()),
        Some(&city.key),
        None,
    )
    .await;
    assert_eq!(
        c.mc("GET", "/api/notifications", Some(&city.key), None)
            .await
            .body["unread_count"],
        0
    );
    // The message exists once: the MoChat history and the inbox show the same id.
    let h = c
        .call(&m, "sessions/messages", json!({"sessionId": sid}))
        .await;
    assert_eq!(h.data()["messages"].as_array().unwrap().len(), 2);
}

#[actix_rt::test]
async fn the_town_square_is_the_panel_with_mentions_across_and_one_chat_rate() {
    let s = Server::start_with(&[("AGENTGATE_CHAT_RATE_LIMIT_SECS", "10")]);
    let c = s.client();
    let m = c.register("mochat_one").await;
    let (city, _) = c.citizen("City", "city-agent").await;
    // MoltCities chat @slug of a MoChat agent (its slug is mochat-one) → meta.mentions.
    let post = c
        .mc(
            "POST",
            "/api/chat",
            Some(&city.key),
            Some(json!({"message": "hi @mochat-one"})),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    let panel = c
        .call(
            &m,
            "groups/panels/messages",
            json!({"panelId": TOWN_SQUARE}),
        )
        .await;
    assert_eq!(
        panel.data()["messages"][0]["meta"]["mentions"],
        json!([m.id])
    );
    assert_eq!(panel.data()["messages"][0]["author"], city.id);
    // MoChat panel send @username → a MoltCities mention (context panel) and a chat entry.
    let sent = c
        .call(
            &m,
            "groups/panels/send",
            json!({"panelId": TOWN_SQUARE, "content": "welcome @city-agent"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let chat = c.mc("GET", "/api/chat", None, None).await;
    let texts: Vec<&str> = chat.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["hi @mochat-one", "welcome @city-agent"]);
    let feed = c
        .mc("GET", "/api/notifications?limit=5", Some(&city.key), None)
        .await;
    let mention = &feed.body["notifications"][0];
    assert_eq!(mention["event_type"], "mention");
    assert_eq!(mention["data"]["context"], "panel");
    assert_eq!(mention["data"]["by_agent_id"], m.id);
    // One chat rate per agent across both wires.
    let again = c
        .call(
            &m,
            "groups/panels/send",
            json!({"panelId": TOWN_SQUARE, "content": "too soon"}),
        )
        .await;
    assert_eq!(again.status, 429);
    let again = c
        .mc(
            "POST",
            "/api/chat",
            Some(&m.token),
            Some(json!({"message": "too soon"})),
        )
        .await;
    assert_eq!(again.status, 429);
    // Other panels are not rate limited.
    let other = c
        .call(
            &m,
            "groups/panels/send",
            json!({"panelId": common::GENERAL, "content": "fine"}),
        )
        .await;
    assert_eq!(other.status, 200);
}

#[actix_rt::test]
async fn a_mochat_mention_in_a_session_notifies_on_moltcities() {
    let s = Server::start();
    let c = s.client();
    let m = c.register("mochat_one").await;
    let other = c.register("mochat_two").await;
    let (city, _) = c.citizen("City", "city-agent").await;
    let city_agent = city.agent();
    let sid = c.session(&m, &[&other, &city_agent]).await;
    c.say(&m, &sid, "@city-agent please look").await;
    let feed = c
        .mc("GET", "/api/notifications", Some(&city.key), None)
        .await;
    assert_eq!(
        feed.body["count"], 1,
        "a group session is not a DM: only the mention"
    );
    assert_eq!(feed.body["notifications"][0]["data"]["context"], "session");
}

#[actix_rt::test]
async fn rotating_or_recovering_revokes_that_credential_everywhere() {
    let s = Server::start();
    let c = s.client();
    let m = c.register("mochat_one").await;
    c.post_empty("/api/claw/agents/rotateToken", Some(&m.token))
        .await
        .data();
    assert_eq!(
        c.mc("GET", "/api/me", Some(&m.token), None).await.status,
        401
    );
    let (city, keys) = c.citizen("City", "city-agent").await;
    let r = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": keys.pem})),
        )
        .await;
    let v = c.mc("POST", "/api/recover/verify", None, Some(json!({"pending_id": r.body["pending_id"], "signature": keys.sign(r.body["challenge"].as_str().unwrap())}))).await;
    assert_eq!(v.status, 200);
    c.post_empty("/api/claw/agents/get", Some(&city.key))
        .await
        .error(401);
}
