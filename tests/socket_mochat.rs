//! MoChat real-time over Socket.IO (raw WebSocket, JSON parser): authentication, both
//! dialects' subscriptions and pushes, cursors and backlog, new sessions, rotation, presence.

mod common;

use std::time::Duration;

use common::sio::{Connect, Sio};
use common::{Server, GENERAL, GROUP, TOWN_SQUARE};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(400);

fn seqs(events: &Value) -> Vec<i64> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

#[actix_rt::test]
async fn connect_needs_a_valid_token() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    for auth in [
        json!({}),
        json!({"token": "claw_nope"}),
        json!({"token": 5}),
        json!(null),
    ] {
        match Sio::connect(&s.base, auth.clone()).await {
            Connect::Refused(v) => assert_eq!(
                v,
                json!({"message": "Authentication error: Invalid token"}),
                "{auth}"
            ),
            Connect::Ok(_) => panic!("connected with {auth}"),
        }
    }
    let sock = Sio::with_token(&s.base, &a.token).await;
    assert_eq!(c.get("/health").await.body["connectedUsers"], 1);
    sock.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(c.get("/health").await.body["connectedUsers"], 0);
}

#[actix_rt::test]
async fn seed_wildcards_push_notify_session_and_panel_for_current_and_future_conversations() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let old = c.session(&b, &[&a]).await;
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    assert_eq!(
        sock.call("session:subscribe", json!({"sessionId": "*"}))
            .await,
        json!({"result": true, "success": true})
    );
    assert_eq!(
        sock.call("panel:subscribe", json!({"panelId": "*"})).await,
        json!({"result": true, "success": true})
    );
    let sent = c.say(&b, &old, "hello @alice").await;
    let push = sock
        .next_named("notify:session", WAIT)
        .await
        .expect("notify:session");
    assert_eq!(push["sessionId"], old);
    assert_eq!(push["message"]["id"], sent["id"]);
    assert_eq!(push["message"]["content"], "hello @alice");
    assert_eq!(push["message"]["senderId"], b.id);
    assert_eq!(push["message"]["type"], "text");
    assert!(push["message"]["mentions"]
        .as_array()
        .unwrap()
        .contains(&json!(a.id)));
    assert_eq!(push["sender"]["id"], b.id);
    assert_eq!(push["sender"]["username"], "bob");
    assert_eq!(push["sender"]["displayName"], "bob display");
    // A session created after subscribing is covered by "*".
    let fresh = c.session(&d, &[&a]).await;
    c.say(&d, &fresh, "new one").await;
    let push = sock
        .next_named("notify:session", WAIT)
        .await
        .expect("future session");
    assert_eq!(push["sessionId"], fresh);
    c.call(
        &b,
        "groups/panels/send",
        json!({"panelId": GENERAL, "content": "panel hi"}),
    )
    .await
    .data();
    let p = sock
        .next_named("notify:panel", WAIT)
        .await
        .expect("notify:panel");
    assert_eq!(p["panelId"], GENERAL);
    assert_eq!(p["groupId"], GROUP);
    assert_eq!(p["message"]["content"], "panel hi");
    assert_eq!(p["sender"]["id"], b.id);
    // A session between others never reaches alice.
    let theirs = c.session(&b, &[&d]).await;
    c.say(&b, &theirs, "not for alice").await;
    assert!(sock
        .drain(QUIET)
        .await
        .iter()
        .all(|(_, v)| v["sessionId"] != json!(theirs)));
    // Unsubscribe stops them.
    assert_eq!(
        sock.call("session:unsubscribe", json!({"sessionId": "*"}))
            .await["result"],
        true
    );
    c.say(&b, &old, "after unsubscribe").await;
    assert!(sock
        .drain(QUIET)
        .await
        .iter()
        .all(|(n, _)| n != "notify:session"));
}

#[actix_rt::test]
async fn seed_subscription_to_a_foreign_session_is_refused() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let theirs = c.session(&b, &[&d]).await;
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let ack = sock
        .call("session:subscribe", json!({"sessionId": theirs}))
        .await;
    assert_eq!(ack["result"], false);
    assert_eq!(ack["message"], "not a participant of this session");
    c.say(&b, &theirs, "secret").await;
    assert!(sock.drain(QUIET).await.is_empty());
    let ack = sock.call("panel:subscribe", json!({})).await;
    assert_eq!(ack["result"], false);
}

#[actix_rt::test]
async fn real_subscribe_sessions_acks_every_session_cold_and_warm() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let warm = c.session(&b, &[&a]).await;
    let cold = c.session(&d, &[&a]).await;
    let foreign = c.session(&b, &[&d]).await;
    for i in 1..=3 {
        c.say(&b, &warm, &format!("w{i}")).await;
        c.say(&d, &cold, &format!("c{i}")).await;
    }
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let ack = sock
        .call("com.claw.im.subscribeSessions", json!({"sessionIds": [warm, cold, foreign], "cursors": {warm.clone(): 1, "other": 9}, "limit": 100}))
        .await;
    assert_eq!(ack["result"], true);
    let list = ack["data"]["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 3, "an entry for every requested session: {ack}");
    assert_eq!(list[0]["sessionId"], warm);
    assert_eq!(list[0]["cursor"], 3);
    assert_eq!(seqs(&list[0]["events"]), [2, 3]);
    assert_eq!(list[0]["events"][0]["type"], "message.add");
    assert_eq!(list[0]["events"][0]["payload"]["content"], "w2");
    assert!(list[0]["events"][0]["payload"].get("groupId").is_none());
    assert_eq!(list[1]["sessionId"], cold);
    assert_eq!(list[1]["cursor"], 3, "cold: latest seq");
    assert_eq!(list[1]["events"], json!([]));
    assert_eq!(
        list[2],
        json!({"sessionId": foreign, "cursor": 0, "events": []})
    );
    // Live from here on, for both; nothing from the foreign one.
    c.say(&d, &foreign, "not for alice").await;
    c.say(&d, &cold, "c4").await;
    let push = sock.next_named("claw.session.events", WAIT).await.unwrap();
    assert_eq!(push["sessionId"], cold);
    assert_eq!(push["cursor"], 4);
    assert_eq!(seqs(&push["events"]), [4]);
    assert_eq!(push["events"][0]["payload"]["author"], d.id);
    assert_eq!(
        push["events"][0]["payload"]["messageId"]
            .as_str()
            .unwrap()
            .len(),
        24
    );
    assert!(sock.drain(QUIET).await.is_empty());
}

#[actix_rt::test]
async fn backlog_beyond_the_limit_follows_the_ack_in_order() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&b, &[&a]).await;
    for i in 1..=7 {
        c.say(&b, &sid, &format!("m{i}")).await;
    }
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let ack = sock
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [sid], "cursors": {sid.clone(): 0}, "limit": 3}),
        )
        .await;
    let entry = &ack["data"]["sessions"][0];
    assert_eq!(seqs(&entry["events"]), [1, 2, 3]);
    assert_eq!(entry["cursor"], 3);
    let p1 = sock.next_named("claw.session.events", WAIT).await.unwrap();
    assert_eq!(seqs(&p1["events"]), [4, 5, 6]);
    assert_eq!(p1["cursor"], 6);
    let p2 = sock.next_named("claw.session.events", WAIT).await.unwrap();
    assert_eq!(seqs(&p2["events"]), [7]);
    c.say(&b, &sid, "m8").await;
    let live = sock.next_named("claw.session.events", WAIT).await.unwrap();
    assert_eq!(seqs(&live["events"]), [8]);
    assert!(sock.drain(QUIET).await.is_empty(), "nothing twice");
}

#[actix_rt::test]
async fn reconnecting_with_the_last_cursor_gets_exactly_what_was_missed() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&b, &[&a]).await;
    c.say(&b, &sid, "seen").await;
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let ack = sock
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [sid], "cursors": {}, "limit": 100}),
        )
        .await;
    let cursor = ack["data"]["sessions"][0]["cursor"].as_i64().unwrap();
    assert_eq!(cursor, 1);
    sock.close().await;
    for i in 1..=3 {
        c.say(&b, &sid, &format!("missed {i}")).await;
    }
    let mut again = Sio::with_token(&s.base, &a.token).await;
    let ack = again
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [sid], "cursors": {sid.clone(): cursor}, "limit": 100}),
        )
        .await;
    let entry = &ack["data"]["sessions"][0];
    assert_eq!(seqs(&entry["events"]), [2, 3, 4]);
    let contents: Vec<&str> = entry["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["missed 1", "missed 2", "missed 3"]);
    assert!(again.drain(QUIET).await.is_empty());
}

#[actix_rt::test]
async fn a_new_session_is_pushed_at_once_and_then_its_messages() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let ack = sock
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [], "cursors": {}, "limit": 100}),
        )
        .await;
    assert_eq!(ack, json!({"result": true, "data": {"sessions": []}}));
    let sid = c.session(&b, &[&a]).await;
    let hello = sock.next_named("claw.session.events", WAIT).await.unwrap();
    assert_eq!(hello, json!({"sessionId": sid, "cursor": 0, "events": []}));
    c.say(&b, &sid, "first words").await;
    let m = sock.next_named("claw.session.events", WAIT).await.unwrap();
    assert_eq!(m["sessionId"], sid);
    assert_eq!(seqs(&m["events"]), [1]);
}

#[actix_rt::test]
async fn subscribe_panels_empty_means_every_text_panel_with_per_panel_seq() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let ack = sock
        .call("com.claw.im.subscribePanels", json!({"panelIds": []}))
        .await;
    assert_eq!(
        ack,
        json!({"result": true, "data": {"panelIds": [GENERAL, TOWN_SQUARE], "groupId": GROUP}})
    );
    // Idempotent.
    assert_eq!(
        sock.call("com.claw.im.subscribePanels", json!({"panelIds": []}))
            .await["result"],
        true
    );
    c.call(
        &b,
        "groups/panels/send",
        json!({"panelId": TOWN_SQUARE, "content": format!("<@{}> hi", a.id)}),
    )
    .await
    .data();
    c.call(
        &b,
        "groups/panels/send",
        json!({"panelId": TOWN_SQUARE, "content": "again"}),
    )
    .await
    .data();
    let p1 = sock.next_named("claw.panel.events", WAIT).await.unwrap();
    assert_eq!(p1["sessionId"], TOWN_SQUARE);
    assert_eq!(p1["cursor"], 1);
    assert_eq!(seqs(&p1["events"]), [1]);
    assert_eq!(p1["events"][0]["payload"]["groupId"], GROUP);
    assert_eq!(
        p1["events"][0]["payload"]["meta"]["mentions"],
        json!([a.id])
    );
    let p2 = sock.next_named("claw.panel.events", WAIT).await.unwrap();
    assert_eq!(seqs(&p2["events"]), [2]);
    // A private panel alice is not in never reaches her.
    let private = c
        .call(
            &b,
            "groups/panels/create",
            json!({"name": "secret", "isPublic": false}),
        )
        .await
        .data()["id"]
        .clone();
    c.call(
        &b,
        "groups/panels/send",
        json!({"panelId": private, "content": "hush"}),
    )
    .await
    .data();
    assert!(sock.drain(QUIET).await.is_empty());
}

#[actix_rt::test]
async fn a_socket_using_both_dialects_gets_both_styles() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&b, &[&a]).await;
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    sock.call("session:subscribe", json!({"sessionId": sid}))
        .await;
    sock.call(
        "com.claw.im.subscribeSessions",
        json!({"sessionIds": [sid], "cursors": {}, "limit": 10}),
    )
    .await;
    c.say(&b, &sid, "both").await;
    let got = sock.drain(Duration::from_millis(600)).await;
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["notify:session", "claw.session.events"]);
}

#[actix_rt::test]
async fn rotating_the_token_disconnects_sockets_that_used_it() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    c.post_empty("/api/claw/agents/rotateToken", Some(&a.token))
        .await
        .data();
    let rest = sock.drain(Duration::from_secs(2)).await;
    assert!(rest.is_empty());
    assert!(sock.disconnected, "the socket was disconnected");
    match Sio::connect(&s.base, json!({"token": a.token})).await {
        Connect::Refused(v) => assert_eq!(v["message"], "Authentication error: Invalid token"),
        Connect::Ok(_) => panic!("old token still connects"),
    }
}

#[actix_rt::test]
async fn tailchat_fallbacks_are_off_by_default_and_mirror_claw_pushes_when_on() {
    for on in [false, true] {
        let s = Server::start_with(&[(
            "AGENTGATE_MOCHAT_TAILCHAT_FALLBACKS",
            if on { "true" } else { "false" },
        )]);
        let c = s.client();
        let (a, b) = (c.register("alice").await, c.register("bob").await);
        let sid = c.session(&b, &[&a]).await;
        let mut sock = Sio::with_token(&s.base, &a.token).await;
        sock.call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [sid], "cursors": {}, "limit": 10}),
        )
        .await;
        sock.call("com.claw.im.subscribePanels", json!({"panelIds": []}))
            .await;
        let dm = c.say(&b, &sid, "dm text").await;
        let pm = c
            .call(
                &b,
                "groups/panels/send",
                json!({"panelId": GENERAL, "content": "panel text"}),
            )
            .await
            .data()["message"]
            .clone();
        let got = sock.drain(Duration::from_millis(700)).await;
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        if !on {
            assert_eq!(names, ["claw.session.events", "claw.panel.events"]);
            continue;
        }
        assert_eq!(
            names,
            [
                "claw.session.events",
                "notify:chat.inbox.append",
                "claw.panel.events",
                "notify:chat.message.add"
            ]
        );
        let inbox = &got[1].1;
        assert_eq!(inbox["type"], "message");
        assert_eq!(inbox["payload"]["messageId"], dm["messageId"]);
        assert_eq!(
            inbox["payload"]["converseId"],
            sid.trim_start_matches("session_")
        );
        assert_eq!(inbox["payload"]["messagePlainContent"], "dm text");
        assert!(
            inbox["payload"].get("groupId").is_none(),
            "a DM carries no groupId"
        );
        let chat = &got[3].1;
        assert_eq!(
            chat["_id"], pm["messageId"],
            "the same id as the claw event, so clients de-duplicate"
        );
        assert_eq!(chat["converseId"], GENERAL);
        assert_eq!(chat["groupId"], GROUP);
        assert_eq!(chat["content"], "panel text");
    }
}

#[actix_rt::test]
async fn an_event_flood_is_refused_with_its_documented_error_and_the_socket_survives() {
    let s = Server::start_with(&[("AGENTGATE_SIO_EVENTS_PER_SEC", "10")]);
    let c = s.client();
    let a = c.register("alice").await;
    let mut sock = Sio::with_token(&s.base, &a.token).await;
    let mut refused = 0;
    for _ in 0..60 {
        let ack = sock
            .call("session:subscribe", json!({"sessionId": "*"}))
            .await;
        if ack["result"] == false {
            assert_eq!(
                ack["message"],
                "rate limit exceeded: at most 10 events per second per connection"
            );
            refused += 1;
        }
    }
    assert!(
        refused >= 30,
        "a burst of 20 passes, the rest of 60 is refused: {refused}"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        sock.call("session:subscribe", json!({"sessionId": "*"}))
            .await["result"],
        true
    );
}
