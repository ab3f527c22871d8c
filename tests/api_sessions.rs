//! `sessions/*` (except watch) over real HTTP: shapes of both dialects, access, validation.

mod common;

use common::Server;
use serde_json::{json, Value};

#[actix_rt::test]
async fn create_accepts_string_and_object_participants_and_reuses_dms() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let r = c
        .call(
            &a,
            "sessions/create",
            json!({"participants": [{"type": "agent", "id": b.id}]}),
        )
        .await;
    let dm = r.data().clone();
    let sid = dm["sessionId"].as_str().unwrap().to_string();
    assert!(sid.starts_with("session_"));
    assert_eq!(dm["id"], sid);
    assert_eq!(dm["converseId"], sid.trim_start_matches("session_"));
    assert_eq!(dm["type"], "dm");
    assert_eq!(dm["participants"], json!([a.id, b.id]));
    assert_eq!(dm["visibility"], "private");
    assert_eq!(dm["status"], "active");
    assert_eq!(dm["workspaceId"], "agentgate");
    // The same pair, either way round and in the seed form, gets the same dm.
    let again = c
        .call(
            &b,
            "sessions/create",
            json!({"type": "dm", "participants": [a.id, b.id]}),
        )
        .await;
    assert_eq!(again.data()["sessionId"], sid);
    // Three people make a group, with name and metadata kept; the caller is added.
    let g = c
        .call(&a, "sessions/create", json!({"type": "group", "participants": [b.id, {"type": "agent", "uniqueName": "dave"}], "name": "Ticket #1234", "metadata": {"priority": "high"}}))
        .await;
    let g = g.data();
    assert_eq!(g["type"], "group");
    assert_eq!(g["name"], "Ticket #1234");
    assert_eq!(g["metadata"], json!({"priority": "high"}));
    assert_eq!(g["participants"], json!([a.id, b.id, d.id]));
    // An explicit group of two is a new group, not the dm.
    let g2 = c
        .call(
            &a,
            "sessions/create",
            json!({"type": "group", "participants": [b.id]}),
        )
        .await;
    assert_eq!(g2.data()["type"], "group");
    assert_ne!(g2.data()["sessionId"], sid);
    // A participant by email is a human, created on first use.
    let h = c
        .call(
            &a,
            "sessions/create",
            json!({"participants": [{"type": "user", "email": "human@x.io"}]}),
        )
        .await;
    assert_eq!(h.data()["type"], "dm");
}

#[actix_rt::test]
async fn create_validation_errors_name_the_field() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({}), 400, "participants"),
        (json!({"participants": []}), 400, "participants"),
        (json!({"participants": [a.id]}), 400, "besides the caller"),
        (
            json!({"participants": ["000000000000000000000000"]}),
            404,
            "participant not found",
        ),
        (
            json!({"participants": [{"type": "agent"}]}),
            400,
            "participants[0]",
        ),
        (
            json!({"participants": [b.id], "type": "triangle"}),
            400,
            "type",
        ),
        (
            json!({"participants": [b.id, "x"], "type": "dm"}),
            404,
            "participant not found",
        ),
        (
            json!({"participants": [b.id], "visibility": "secret"}),
            400,
            "visibility",
        ),
        (
            json!({"participants": [b.id], "name": "n".repeat(101)}),
            400,
            "name",
        ),
        (
            json!({"participants": [{"email": "bad email"}]}),
            400,
            "email",
        ),
    ];
    for (body, status, msg) in cases {
        let m = c
            .call(&a, "sessions/create", body.clone())
            .await
            .error(status);
        assert!(m.contains(msg), "{body}: {m}");
    }
    assert_eq!(
        c.post("/api/claw/sessions/list", Some(&a.token), json!({}))
            .await
            .data()["sessions"],
        json!([])
    );
}

#[actix_rt::test]
async fn send_returns_the_superset_message_and_resolves_mentions() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let sid = c.session(&a, &[&b, &d]).await;
    let first = c.say(&b, &sid, "first").await;
    let r = c
        .call(&a, "sessions/send", json!({"sessionId": sid, "content": "@bob see <@DAVEID> and @all", "type": "text", "replyTo": first["messageId"], "metadata": {"ticketId": "1234"}}))
        .await;
    let d0 = r.data();
    assert_eq!(d0["sessionId"], sid);
    let m = &d0["message"];
    // `<@DAVEID>` names no user, so only bob is mentioned: by id and by the name written.
    assert_eq!(m["mentions"], json!([b.id, "bob"]));
    let content = format!("@bob see <@{}> and @all", d.id);
    let r = c
        .call(
            &a,
            "sessions/send",
            json!({"sessionId": sid, "content": content, "replyTo": "no-such-message"}),
        )
        .await;
    let m2 = r.data()["message"].clone();
    for (k, want) in [
        ("id", m2["messageId"].clone()),
        ("_id", m2["messageId"].clone()),
        ("senderId", json!(a.id)),
        ("author", json!(a.id)),
    ] {
        assert_eq!(m2[k], want, "{k}");
    }
    assert_eq!(m2["messageId"].as_str().unwrap().len(), 24);
    assert_eq!(m2["content"], content);
    assert_eq!(m2["type"], "text");
    assert_eq!(m2["seq"], 3);
    assert_eq!(m2["sessionId"], sid);
    assert_eq!(m2["replyTo"], json!(null), "an unknown replyTo is ignored");
    assert_eq!(m2["meta"]["mentions"], json!([b.id, d.id]));
    assert_eq!(m2["mentions"], json!([b.id, d.id, "bob"]));
    assert_eq!(m2["isMentionAll"], true);
    assert_eq!(m2["authorInfo"]["userId"], a.id);
    assert_eq!(m2["authorInfo"]["agentId"], "alice");
    assert_eq!(m2["authorInfo"]["nickname"], "alice display");
    assert_eq!(m2["authorInfo"]["type"], "agent");
    assert_eq!(m2["hasRecall"], false);
    assert!(m2.get("groupId").is_none(), "sessions carry no groupId");
    // The first reply kept its known replyTo and metadata.
    assert_eq!(m["replyTo"], first["messageId"]);
    assert_eq!(m["metadata"], json!({"ticketId": "1234"}));
    assert_eq!(m["seq"], 2);
}

#[actix_rt::test]
async fn send_refuses_bad_input_outsiders_and_closed_sessions() {
    let s = Server::start_with(&[("AGENTGATE_MAX_MESSAGE_CHARS", "20")]);
    let c = s.client();
    let (a, b, x) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("outsider").await,
    );
    let sid = c.session(&a, &[&b]).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"content": "hi"}), 400, "sessionId"),
        (json!({"sessionId": sid}), 400, "content"),
        (json!({"sessionId": sid, "content": "   "}), 400, "content"),
        (json!({"sessionId": sid, "content": 5}), 400, "content"),
        (
            json!({"sessionId": sid, "content": "x".repeat(21)}),
            413,
            "20 characters",
        ),
        (
            json!({"sessionId": sid, "content": "hi", "type": "video"}),
            400,
            "type",
        ),
        (
            json!({"sessionId": "session_000000000000000000000000", "content": "hi"}),
            404,
            "session not found",
        ),
    ];
    for (body, status, msg) in cases {
        let m = c
            .call(&a, "sessions/send", body.clone())
            .await
            .error(status);
        assert!(m.contains(msg), "{body}: {m}");
    }
    c.call(
        &x,
        "sessions/send",
        json!({"sessionId": sid, "content": "let me in"}),
    )
    .await
    .error(403);
    c.post(
        "/api/claw/sessions/send",
        None,
        json!({"sessionId": sid, "content": "hi"}),
    )
    .await
    .error(401);
    let closed = c
        .call(
            &a,
            "sessions/close",
            json!({"sessionId": sid, "policy": "archive"}),
        )
        .await;
    assert_eq!(closed.data()["status"], "closed");
    assert_eq!(closed.data()["policy"], "archive");
    assert!(c
        .call(
            &b,
            "sessions/send",
            json!({"sessionId": sid, "content": "hello?"})
        )
        .await
        .error(409)
        .contains("closed"));
    // Nothing was stored by any refused send.
    let h = c
        .call(&a, "sessions/messages", json!({"sessionId": sid}))
        .await;
    assert_eq!(h.data()["messages"], json!([]));
    c.call(&x, "sessions/close", json!({"sessionId": sid}))
        .await
        .error(403);
    c.call(
        &a,
        "sessions/close",
        json!({"sessionId": sid, "policy": "burn"}),
    )
    .await
    .error(400);
}

#[actix_rt::test]
async fn messages_page_newest_first_with_either_cursor_name() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&a, &[&b]).await;
    for i in 1..=5 {
        c.say(if i % 2 == 0 { &b } else { &a }, &sid, &format!("m{i}"))
            .await;
    }
    let p1 = c
        .call(
            &a,
            "sessions/messages",
            json!({"sessionId": sid, "limit": 2}),
        )
        .await;
    let d = p1.data().clone();
    let contents = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(contents(&d["messages"]), ["m5", "m4"]);
    assert_eq!(d["items"], d["messages"]);
    assert_eq!(d["hasMore"], true);
    assert_eq!(d["sessionId"], sid);
    assert_eq!(d["cursor"], d["nextCursor"]);
    let p2 = c
        .call(
            &a,
            "sessions/messages",
            json!({"sessionId": sid, "limit": 2, "cursor": d["nextCursor"]}),
        )
        .await;
    assert_eq!(contents(&p2.data()["items"]), ["m3", "m2"]);
    let p3 = c
        .call(
            &b,
            "sessions/messages",
            json!({"sessionId": sid, "limit": 2, "beforeMessageId": p2.data()["nextCursor"]}),
        )
        .await;
    assert_eq!(contents(&p3.data()["messages"]), ["m1"]);
    assert_eq!(p3.data()["hasMore"], false);
    assert_eq!(p3.data()["nextCursor"], json!(null));
    assert_eq!(
        c.call(&a, "sessions/messages", json!({"sessionId": sid}))
            .await
            .data()["messages"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    c.call(
        &a,
        "sessions/messages",
        json!({"sessionId": sid, "limit": 101}),
    )
    .await
    .error(400);
    c.call(
        &a,
        "sessions/messages",
        json!({"sessionId": sid, "limit": 0}),
    )
    .await
    .error(400);
    assert!(c
        .call(
            &a,
            "sessions/messages",
            json!({"sessionId": sid, "cursor": "bogus"})
        )
        .await
        .error(400)
        .contains("cursor"));
    let x = c.register("outsider").await;
    c.call(&x, "sessions/messages", json!({"sessionId": sid}))
        .await
        .error(403);
}

#[actix_rt::test]
async fn list_answers_real_clients_with_an_object_and_the_seed_with_an_array() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let s1 = c.session(&a, &[&b]).await;
    let s2 = c.session(&a, &[&b, &d]).await;
    let _other = c.session(&b, &[&d]).await;
    c.say(&a, &s1, "bump").await; // s1 is now the most recently updated
    let real = c
        .post("/api/claw/sessions/list", Some(&a.token), json!({}))
        .await;
    let list = real.data()["sessions"].as_array().unwrap().clone();
    let ids: Vec<&str> = list
        .iter()
        .map(|x| x["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [s1.as_str(), s2.as_str()]);
    assert_eq!(list[0]["converseId"], s1.trim_start_matches("session_"));
    assert_eq!(list[0]["id"], s1);
    let seed = c
        .post_empty("/api/claw/sessions/list", Some(&a.token))
        .await;
    let arr = seed.data().as_array().unwrap().clone();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[1]["participants"], json!([a.id, b.id, d.id]));
    let opt_in = c
        .post(
            "/api/claw/sessions/list?format=array",
            Some(&a.token),
            json!({}),
        )
        .await;
    assert!(opt_in.data().is_array());
    let limited = c
        .post(
            "/api/claw/sessions/list",
            Some(&a.token),
            json!({"limit": 1}),
        )
        .await;
    assert_eq!(limited.data()["sessions"].as_array().unwrap().len(), 1);
    let future = c
        .post(
            "/api/claw/sessions/list",
            Some(&a.token),
            json!({"updatedAfter": "2999-01-01T00:00:00.000Z"}),
        )
        .await;
    assert_eq!(future.data()["sessions"], json!([]));
    c.post(
        "/api/claw/sessions/list",
        Some(&a.token),
        json!({"updatedAfter": "yesterday"}),
    )
    .await
    .error(400);
    c.post(
        "/api/claw/sessions/list",
        Some(&a.token),
        json!({"limit": 501}),
    )
    .await
    .error(400);
}

#[actix_rt::test]
async fn get_and_detail_show_participants_to_participants_only() {
    let s = Server::start();
    let c = s.client();
    let (a, b, x) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("outsider").await,
    );
    let sid = c.session(&a, &[&b]).await;
    let g = c.call(&b, "sessions/get", json!({"sessionId": sid})).await;
    assert_eq!(g.data()["participants"], json!([a.id, b.id]));
    let d = c
        .call(&a, "sessions/detail", json!({"sessionId": sid}))
        .await;
    let people = d.data()["participants"].as_array().unwrap().clone();
    assert_eq!(people.len(), 2);
    assert_eq!(people[1]["userId"], b.id);
    assert_eq!(people[1]["nickname"], "bob display");
    assert_eq!(people[1]["type"], "agent");
    assert_eq!(people[1]["online"], false);
    assert_eq!(d.data()["participantIds"], json!([a.id, b.id]));
    // The bare conversation id is accepted too.
    let bare = sid.trim_start_matches("session_");
    assert_eq!(
        c.call(&a, "sessions/get", json!({"sessionId": bare}))
            .await
            .data()["sessionId"],
        sid
    );
    c.call(&x, "sessions/get", json!({"sessionId": sid}))
        .await
        .error(403);
    c.call(&x, "sessions/detail", json!({"sessionId": sid}))
        .await
        .error(403);
    c.call(&a, "sessions/get", json!({"sessionId": "session_nope"}))
        .await
        .error(404);
    c.call(&a, "sessions/get", json!({})).await.error(400);
}

#[actix_rt::test]
async fn participants_change_in_groups_only_and_a_group_keeps_one() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d, e) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
        c.register("erin").await,
    );
    let x = c.register("outsider").await;
    let dm = c.session(&a, &[&b]).await;
    let m = c
        .call(
            &a,
            "sessions/addParticipants",
            json!({"sessionId": dm, "participantIds": [d.id]}),
        )
        .await
        .error(409);
    assert!(m.contains("dm"), "{m}");
    let g = c.session(&a, &[&b, &d]).await;
    // The seed form (participantIds) and the real form (participants objects).
    let r = c
        .call(
            &a,
            "sessions/addParticipants",
            json!({"sessionId": g, "participantIds": [e.id]}),
        )
        .await;
    assert_eq!(r.data()["participants"], json!([a.id, b.id, d.id, e.id]));
    let r = c
        .call(
            &b,
            "sessions/removeParticipants",
            json!({"sessionId": g, "participants": [{"type": "agent", "id": d.id}]}),
        )
        .await;
    assert_eq!(r.data()["participants"], json!([a.id, b.id, e.id]));
    assert_eq!(r.data()["status"], "active");
    // Removed members lose access at once.
    c.call(
        &d,
        "sessions/send",
        json!({"sessionId": g, "content": "still here?"}),
    )
    .await
    .error(403);
    c.call(
        &x,
        "sessions/addParticipants",
        json!({"sessionId": g, "participantIds": [x.id]}),
    )
    .await
    .error(403);
    c.call(
        &a,
        "sessions/addParticipants",
        json!({"sessionId": g, "participantIds": ["000000000000000000000000"]}),
    )
    .await
    .error(404);
    c.call(&a, "sessions/addParticipants", json!({"sessionId": g}))
        .await
        .error(400);
    c.call(
        &a,
        "sessions/addParticipants",
        json!({"sessionId": g, "participantIds": []}),
    )
    .await
    .error(400);
    let m = c
        .call(
            &a,
            "sessions/removeParticipants",
            json!({"sessionId": g, "participantIds": [a.id, b.id, e.id]}),
        )
        .await
        .error(409);
    assert!(m.contains("last participant"), "{m}");
    let still = c.call(&a, "sessions/get", json!({"sessionId": g})).await;
    assert_eq!(still.data()["participants"], json!([a.id, b.id, e.id]));
}
