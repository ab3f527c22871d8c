//! Whole flows: the onboarding guide's REST steps with its exact bodies, the calls the real
//! clients make (and the fields they read), and a restart on the same database.

mod common;

use common::{Database, Server, GENERAL};
use serde_json::{json, Value};

#[actix_rt::test]
async fn onboarding_guide_rest_flow_steps_1_to_4_and_6_to_8() {
    let s = Server::start();
    let c = s.client();
    // Step 1: health.
    let h = c.get("/health").await;
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")));
    assert_eq!(h.body["connectedUsers"], 0);
    assert!(h.body["timestamp"].as_str().unwrap().ends_with('Z'));
    // Step 2: registration, exactly as the guide's example.
    let r = c
        .post("/api/claw/agents/selfRegister", None, json!({"username": "my_assistant_agent", "email": "agent@mycompany.com", "displayName": "My Assistant Agent"}))
        .await;
    assert_eq!(r.body["success"], true);
    let token = r.body["data"]["token"].as_str().unwrap().to_string();
    let agent_id = r.body["data"]["botUserId"].as_str().unwrap().to_string();
    let workspace_id = r.body["data"]["workspaceId"].as_str().unwrap().to_string();
    let group_id = r.body["data"]["groupId"].as_str().unwrap().to_string();
    let t = Some(token.as_str());
    // Step 3: binding, then the welcome message.
    let b = c.post("/api/claw/agents/bind", t, json!({"email": "owner@company.com", "greeting_msg": "Hello! I'm your new assistant. How can I help?"})).await;
    assert_eq!(b.body["success"], true);
    let session_id = b.body["data"]["sessionId"].as_str().unwrap().to_string();
    assert!(b.body["data"]["ownerUserId"].is_string() && b.body["data"]["converseId"].is_string());
    let w = c.post("/api/claw/sessions/send", t, json!({"sessionId": session_id, "content": "I'm online and ready! You can ask me anything."})).await;
    assert_eq!(w.body["success"], true);
    // Step 4: a group session with a customer and a supervisor.
    let customer = c.register("customer_bob").await;
    let supervisor = c.register("supervisor_sue").await;
    c.register("john_doe").await;
    let g = c
        .post(
            "/api/claw/sessions/create",
            t,
            json!({"type": "group", "participants": [agent_id, customer.id, supervisor.id], "name": "Customer Support - Ticket #1234", "metadata": {"purpose": "customer_support", "priority": "high"}}),
        )
        .await;
    let support = g.body["data"].clone();
    assert_eq!(support["name"], "Customer Support - Ticket #1234");
    let sid = support["id"].as_str().unwrap().to_string();
    let send = |body: Value| c.post("/api/claw/sessions/send", t, body);
    assert_eq!(
        send(json!({"sessionId": sid, "content": "Hello! How can I help?", "type": "text"}))
            .await
            .status,
        200
    );
    assert_eq!(send(json!({"sessionId": sid, "content": "Here's the information:", "type": "text", "replyTo": "msg-123"})).await.status, 200);
    assert_eq!(
        send(
            json!({"sessionId": sid, "content": "Agent joined the conversation", "type": "system"})
        )
        .await
        .status,
        200
    );
    let with_meta = send(json!({"sessionId": sid, "content": "Ticket resolved!", "type": "text", "metadata": {"ticketId": "1234", "resolution": "user_error", "satisfaction": 5}})).await;
    assert_eq!(
        with_meta.body["data"]["message"]["metadata"]["satisfaction"],
        5
    );
    let mention =
        send(json!({"sessionId": sid, "content": "@john_doe Could you review this?"})).await;
    assert!(mention.body["data"]["message"]["mentions"]
        .as_array()
        .unwrap()
        .contains(&json!("john_doe")));
    let all = send(json!({"sessionId": sid, "content": "@all Please join the meeting now"})).await;
    assert_eq!(all.body["data"]["message"]["isMentionAll"], true);
    let history = c
        .post(
            "/api/claw/sessions/messages",
            t,
            json!({"sessionId": sid, "limit": 20}),
        )
        .await;
    let hd = &history.body["data"];
    assert_eq!(hd["items"].as_array().unwrap().len(), 6);
    assert_eq!(hd["hasMore"], false);
    for m in hd["items"].as_array().unwrap() {
        assert!(
            m["createdAt"].is_string()
                && m["senderId"] == json!(agent_id)
                && m["content"].is_string()
        );
    }
    let page = c
        .post(
            "/api/claw/sessions/messages",
            t,
            json!({"sessionId": sid, "limit": 4}),
        )
        .await;
    assert_eq!(page.body["data"]["hasMore"], true);
    let next = c
        .post(
            "/api/claw/sessions/messages",
            t,
            json!({"sessionId": sid, "cursor": page.body["data"]["cursor"], "limit": 4}),
        )
        .await;
    assert_eq!(next.body["data"]["items"].as_array().unwrap().len(), 2);
    let sessions = c.post_empty("/api/claw/sessions/list", t).await;
    let arr = sessions.body["data"].as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert!(arr
        .iter()
        .all(|s| s["id"].is_string() && (s["name"].is_string() || s["name"].is_null())));
    let newcomer = c.register("user_789").await;
    let add = c
        .post(
            "/api/claw/sessions/addParticipants",
            t,
            json!({"sessionId": sid, "participantIds": [newcomer.id]}),
        )
        .await;
    assert_eq!(add.body["success"], true);
    let rm = c
        .post(
            "/api/claw/sessions/removeParticipants",
            t,
            json!({"sessionId": sid, "participantIds": [customer.id]}),
        )
        .await;
    assert_eq!(rm.body["success"], true);
    // Step 6: panels.
    let ws = c
        .post(
            "/api/claw/groups/get",
            t,
            json!({"workspaceId": workspace_id}),
        )
        .await;
    let groups = ws.body["data"]["groups"].as_array().unwrap();
    assert!(ws.body["data"]["workspace"]["name"].is_string());
    assert!(groups[0]["panels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["name"].is_string() && p["isPublic"].is_boolean()));
    let mk = |name: &str, desc: &str, public: bool| {
        c.post("/api/claw/groups/panels/create", t, json!({"groupId": group_id, "name": name, "description": desc, "isPublic": public, "metadata": {"creator": "agent", "purpose": "automated_support"}}))
    };
    assert_eq!(
        mk("general-chat", "General discussion and announcements", true)
            .await
            .body["success"],
        true
    );
    let support_panel = mk("customer-support", "Customer support and help desk", true).await;
    assert_eq!(
        mk("admin-only", "Private admin discussions", false)
            .await
            .body["data"]["isPublic"],
        false
    );
    let panel_id = support_panel.body["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for content in [
        "Hello everyone!",
        "@john_doe Could you review the latest update?",
        "@all Important announcement: System maintenance scheduled for tonight",
    ] {
        let r = c
            .post(
                "/api/claw/groups/panels/send",
                t,
                json!({"panelId": panel_id, "content": content, "type": "text"}),
            )
            .await;
        assert_eq!(r.body["success"], true, "{}", r.body);
    }
    let pm = c
        .post(
            "/api/claw/groups/panels/messages",
            t,
            json!({"panelId": panel_id, "limit": 20}),
        )
        .await;
    let items = pm.body["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["isMentionAll"], true);
    assert!(items[1]["mentions"]
        .as_array()
        .unwrap()
        .contains(&json!("john_doe")));
    // Step 7: rotation with no body; the new token verifies, the old one is refused.
    let rot = c.post_empty("/api/claw/agents/rotateToken", t).await;
    assert_eq!(rot.body["success"], true);
    let fresh = rot.body["data"]["token"].as_str().unwrap().to_string();
    assert_eq!(
        c.post("/api/claw/agents/get", Some(&fresh), json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        c.post("/api/claw/agents/get", t, json!({})).await.status,
        401
    );
    // Step 8: user resolution.
    let users = c
        .post(
            "/api/claw/users/resolve",
            Some(&fresh),
            json!({"userIds": [customer.id, supervisor.id]}),
        )
        .await;
    let list = users.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], customer.id);
    assert_eq!(list[0]["displayName"], "customer_bob display");
}

/// What the real clients do (spec §3): every call a POST with `{}` or their exact body, and
/// the envelope read as `{code:200, data}`.
#[actix_rt::test]
async fn real_client_calls_get_the_fields_they_read() {
    let s = Server::start();
    let c = s.client();
    let reg = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"name": "ClaudeClaw"}),
        )
        .await;
    let d = reg.data().clone();
    for k in ["token", "botUserId", "workspaceId", "groupId", "agentId"] {
        assert!(d[k].is_string(), "{k} in {d}");
    }
    let me = common::Agent {
        token: d["token"].as_str().unwrap().into(),
        id: d["botUserId"].as_str().unwrap().into(),
        username: d["username"].as_str().unwrap().into(),
    };
    let peer = c.register("human_stand_in").await;
    // OC tool `create` with agent objects.
    let created = c
        .call(
            &peer,
            "sessions/create",
            json!({"participants": [{"type": "agent", "id": me.id}]}),
        )
        .await;
    let cd = created.data();
    let sid = cd["sessionId"].as_str().unwrap().to_string();
    assert!(
        cd["workspaceId"].is_string()
            && cd["converseId"].is_string()
            && cd["visibility"].is_string()
            && cd["status"].is_string()
    );
    assert!(cd["participants"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_string));
    // Session discovery: an object with sessions[].sessionId / converseId.
    let list = c.call(&me, "sessions/list", json!({})).await;
    assert!(list.body["code"].is_u64() && list.body["code"] == 200);
    assert_eq!(list.data()["sessions"][0]["sessionId"], sid);
    assert_eq!(list.data()["sessions"][0]["converseId"], cd["converseId"]);
    // Panel discovery: panels[] with id and numeric type.
    let g = c.call(&me, "groups/get", json!({})).await;
    let text_panels: Vec<&str> = g.data()["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == 0)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(text_panels.len(), 2);
    // Inbound: the peer writes, the client watches (OC poller) from cursor 0.
    let inbound = c.say(&peer, &sid, &format!("<@{}> ping", me.id)).await;
    let w = c
        .call(
            &me,
            "sessions/watch",
            json!({"sessionId": sid, "cursor": 0, "timeoutMs": 25000, "limit": 100}),
        )
        .await;
    let ev = &w.data()["events"][0];
    assert_eq!(ev["type"], "message.add");
    assert_eq!(ev["payload"]["messageId"], inbound["messageId"]);
    assert_eq!(ev["payload"]["author"], peer.id);
    assert_eq!(ev["payload"]["meta"]["mentions"], json!([me.id]));
    assert_eq!(
        ev["payload"]["authorInfo"]["nickname"],
        "human_stand_in display"
    );
    // The reply carries replyTo = the inbound id (CC always sets it).
    let reply = c
        .call(
            &me,
            "sessions/send",
            json!({"sessionId": sid, "content": "pong", "replyTo": inbound["messageId"]}),
        )
        .await;
    assert_eq!(reply.data()["message"]["replyTo"], inbound["messageId"]);
    assert_eq!(
        reply.data()["message"]["author"],
        me.id,
        "self-echo filter reads author = botUserId"
    );
    // Panels: CC sends groupId = panelId; NB reads groupId and newest-first messages.
    c.call(
        &me,
        "groups/panels/send",
        json!({"panelId": GENERAL, "content": "hi panel", "replyTo": "x", "groupId": GENERAL}),
    )
    .await
    .data();
    let pm = c
        .call(
            &me,
            "groups/panels/messages",
            json!({"panelId": GENERAL, "limit": 100}),
        )
        .await;
    let pd = pm.data();
    assert!(pd["groupId"].is_string());
    let m0 = &pd["messages"][0];
    for k in [
        "messageId",
        "author",
        "content",
        "meta",
        "createdAt",
        "authorInfo",
    ] {
        assert!(!m0[k].is_null(), "{k} in {m0}");
    }
    // OC tools: get, detail, messages with beforeMessageId, participants, close.
    assert_eq!(
        c.call(&me, "sessions/get", json!({"sessionId": sid}))
            .await
            .data()["status"],
        "active"
    );
    let det = c
        .call(&me, "sessions/detail", json!({"sessionId": sid}))
        .await;
    assert!(det.data()["participants"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["userId"].is_string() && p["online"].is_boolean()));
    let msgs = c.call(&me, "sessions/messages", json!({"sessionId": sid, "beforeMessageId": reply.data()["message"]["messageId"], "limit": 10})).await;
    assert_eq!(
        msgs.data()["messages"][0]["messageId"],
        inbound["messageId"]
    );
    let third = c.register("third_party").await;
    let group = c.call(&me, "sessions/create", json!({"participants": [{"type": "agent", "id": peer.id}, {"type": "agent", "id": third.id}]})).await;
    let gid = group.data()["sessionId"].as_str().unwrap().to_string();
    let rm = c
        .call(
            &me,
            "sessions/removeParticipants",
            json!({"sessionId": gid, "participants": [{"type": "agent", "id": third.id}]}),
        )
        .await;
    assert_eq!(rm.data()["participants"].as_array().unwrap().len(), 2);
    let add = c
        .call(
            &me,
            "sessions/addParticipants",
            json!({"sessionId": gid, "participants": [{"type": "agent", "id": third.id}]}),
        )
        .await;
    assert_eq!(add.data()["participants"].as_array().unwrap().len(), 3);
    assert_eq!(
        c.call(
            &me,
            "sessions/close",
            json!({"sessionId": gid, "policy": "lock"})
        )
        .await
        .data()["status"],
        "closed"
    );
    // Owner (heartbeat), invite, rotation in the README form.
    assert_eq!(
        c.call(&me, "agents/owner", json!({})).await.data()["owner"],
        json!(null)
    );
    let inv = c
        .call(&me, "groups/createInvite", json!({"inviteType": "normal"}))
        .await;
    let joined = c
        .call(
            &peer,
            "groups/joinByInvite",
            json!({"code": inv.data()["code"]}),
        )
        .await;
    assert!(joined.data()["groupId"].is_string() && joined.data()["workspaceId"].is_string());
    let rot = c
        .call(&me, "agents/rotateToken", json!({"botUserId": me.id}))
        .await;
    assert_eq!(rot.data()["botUserId"], me.id);
    // Errors: a non-2xx status with a message the clients show.
    let err = c
        .post(
            "/api/claw/sessions/send",
            Some(&me.token),
            json!({"sessionId": sid, "content": "old token"}),
        )
        .await;
    assert_eq!(err.status, 401);
    assert!(err.body["message"].is_string());
}

#[actix_rt::test]
async fn everything_survives_a_restart_on_the_same_database() {
    let db = Database::fresh();
    let (a, b, sid, panel, fresh, owner);
    {
        let mut s = Server::on(&db.url, &[]);
        let c = s.client();
        a = c.register("alice").await;
        b = c.register("bob").await;
        owner = c
            .call(
                &a,
                "agents/bind",
                json!({"email": "boss@x.io", "greeting_msg": "hi boss"}),
            )
            .await
            .data()["ownerUserId"]
            .clone();
        sid = c.session(&a, &[&b]).await;
        c.say(&a, &sid, "before the restart").await;
        c.say(&b, &sid, "me too").await;
        panel = c
            .call(&a, "groups/panels/create", json!({"name": "durable"}))
            .await
            .data()["id"]
            .as_str()
            .unwrap()
            .to_string();
        c.call(
            &a,
            "groups/panels/send",
            json!({"panelId": panel, "content": "panel line"}),
        )
        .await
        .data();
        fresh = c
            .post_empty("/api/claw/agents/rotateToken", Some(&b.token))
            .await
            .data()["token"]
            .as_str()
            .unwrap()
            .to_string();
        // No graceful stop: a 2xx answer means the write was already committed.
        s.kill();
    }
    let s = Server::on(&db.url, &[]);
    let c = s.client();
    c.post_empty("/api/claw/agents/get", Some(&b.token))
        .await
        .error(401);
    let b2 = common::Agent {
        token: fresh,
        ..b.clone()
    };
    let h = c
        .call(&b2, "sessions/messages", json!({"sessionId": sid}))
        .await;
    let contents: Vec<&str> = h.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["me too", "before the restart"]);
    let next = c.say(&a, &sid, "after").await;
    assert_eq!(next["seq"], 3, "seq continues where it stopped");
    let list = c.call(&a, "sessions/list", json!({})).await;
    assert_eq!(
        list.data()["sessions"].as_array().unwrap().len(),
        2,
        "dm with bob and dm with the owner"
    );
    assert_eq!(
        c.call(&a, "agents/owner", json!({})).await.data()["owner"]["userId"],
        owner
    );
    let pm = c
        .call(&b2, "groups/panels/messages", json!({"panelId": panel}))
        .await;
    assert_eq!(pm.data()["messages"][0]["content"], "panel line");
    let g = c.call(&a, "groups/get", json!({})).await;
    assert!(g.data()["panels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == json!(panel)));
    // Usernames stay taken.
    c.post(
        "/api/claw/agents/selfRegister",
        None,
        json!({"username": "alice"}),
    )
    .await
    .error(409);
}

#[actix_rt::test]
async fn sigterm_stops_gracefully_with_exit_code_0() {
    let mut s = Server::start();
    let c = s.client();
    c.register("alice").await;
    let status = s.terminate();
    assert!(status.success(), "{status:?}");
}
