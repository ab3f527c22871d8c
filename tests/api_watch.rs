//! `sessions/watch`: the long-poll contract the real clients depend on (spec §4).

mod common;

use std::time::{Duration, Instant};

use common::Server;
use serde_json::json;

#[actix_rt::test]
async fn returns_at_once_when_events_exist_with_integer_seq_in_order() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&a, &[&b]).await;
    for i in 1..=3 {
        c.say(&b, &sid, &format!("m{i}")).await;
    }
    let r = c
        .call(
            &a,
            "sessions/watch",
            json!({"sessionId": sid, "cursor": 0, "timeoutMs": 25000, "limit": 2}),
        )
        .await;
    let d = r.data();
    assert_eq!(d["sessionId"], sid);
    // cursor = the last seq returned, not the latest overall, so nothing is skipped.
    assert_eq!(d["cursor"], 2);
    let ev = d["events"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["seq"], 1);
    assert!(ev[0]["seq"].is_i64(), "seq is an integer on the wire");
    assert_eq!(ev[0]["type"], "message.add");
    assert_eq!(ev[0]["sessionId"], sid);
    assert_eq!(ev[0]["payload"]["content"], "m1");
    assert_eq!(ev[0]["payload"]["author"], b.id);
    assert_eq!(ev[0]["payload"]["authorInfo"]["agentId"], "bob");
    assert_eq!(
        ev[0]["payload"]["converseId"],
        sid.trim_start_matches("session_")
    );
    assert_eq!(ev[0]["payload"]["meta"]["mentions"], json!([]));
    assert!(ev[0]["payload"].get("groupId").is_none());
    assert!(ev[0]["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ev[1]["payload"]["content"], "m2");
    // Float cursors (JavaScript numbers) are accepted.
    let r = c
        .call(
            &a,
            "sessions/watch",
            json!({"sessionId": sid, "cursor": 2.0, "timeoutMs": 1000}),
        )
        .await;
    assert_eq!(r.data()["cursor"], 3);
    assert_eq!(r.data()["events"][0]["payload"]["content"], "m3");
}

#[actix_rt::test]
async fn waits_for_the_next_message_and_wakes_when_it_lands() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&a, &[&b]).await;
    let watcher = {
        let (c2, a2, sid2) = (s.client(), a.clone(), sid.clone());
        actix_rt::spawn(async move {
            let t = Instant::now();
            let r = c2
                .call(
                    &a2,
                    "sessions/watch",
                    json!({"sessionId": sid2, "cursor": 0, "timeoutMs": 20000}),
                )
                .await;
            (r, t.elapsed())
        })
    };
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    c.say(&b, &sid, "wake up").await;
    let (r, waited) = watcher.await.unwrap();
    assert_eq!(r.data()["cursor"], 1);
    assert_eq!(r.data()["events"][0]["payload"]["content"], "wake up");
    assert!(
        waited >= Duration::from_millis(250),
        "it waited for the message: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "it woke when the message landed: {waited:?}"
    );
}

#[actix_rt::test]
async fn times_out_empty_with_the_request_cursor() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&a, &[&b]).await;
    c.say(&b, &sid, "one").await;
    let t = Instant::now();
    let r = c
        .call(
            &a,
            "sessions/watch",
            json!({"sessionId": sid, "cursor": 1, "timeoutMs": 400}),
        )
        .await;
    assert!(
        t.elapsed() >= Duration::from_millis(350),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(r.data()["cursor"], 1);
    assert_eq!(r.data()["events"], json!([]));
}

#[actix_rt::test]
async fn a_cursor_beyond_the_latest_waits_and_then_delivers_new_events() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let sid = c.session(&a, &[&b]).await;
    c.say(&b, &sid, "one").await;
    // No instant empty answer (a client would spin): it waits, then times out at the latest seq.
    let t = Instant::now();
    let r = c
        .call(
            &a,
            "sessions/watch",
            json!({"sessionId": sid, "cursor": 99, "timeoutMs": 300}),
        )
        .await;
    assert!(t.elapsed() >= Duration::from_millis(250));
    assert_eq!(r.data()["events"], json!([]));
    assert_eq!(r.data()["cursor"], 1);
    let watcher = {
        let (c2, a2, sid2) = (s.client(), a.clone(), sid.clone());
        actix_rt::spawn(async move {
            c2.call(
                &a2,
                "sessions/watch",
                json!({"sessionId": sid2, "cursor": 99, "timeoutMs": 20000}),
            )
            .await
        })
    };
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    c.say(&b, &sid, "two").await;
    let r = watcher.await.unwrap();
    assert_eq!(r.data()["events"][0]["payload"]["content"], "two");
    assert_eq!(r.data()["cursor"], 2);
}

#[actix_rt::test]
async fn checks_access_and_arguments() {
    let s = Server::start();
    let c = s.client();
    let (a, b, x) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("outsider").await,
    );
    let sid = c.session(&a, &[&b]).await;
    c.call(
        &x,
        "sessions/watch",
        json!({"sessionId": sid, "cursor": 0, "timeoutMs": 100}),
    )
    .await
    .error(403);
    c.call(
        &a,
        "sessions/watch",
        json!({"sessionId": sid, "cursor": -1}),
    )
    .await
    .error(400);
    c.call(
        &a,
        "sessions/watch",
        json!({"sessionId": sid, "cursor": "abc"}),
    )
    .await
    .error(400);
    c.call(&a, "sessions/watch", json!({"sessionId": sid, "limit": 0}))
        .await
        .error(400);
    c.call(&a, "sessions/watch", json!({"cursor": 0}))
        .await
        .error(400);
    c.post("/api/claw/sessions/watch", None, json!({"sessionId": sid}))
        .await
        .error(401);
}
