//! The envelope, bad input and limits: clear errors, nothing changed, never a 500.

mod common;

use common::Server;
use serde_json::json;

#[actix_rt::test]
async fn malformed_and_non_object_bodies_get_400_with_the_reason() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let r = c
        .post_raw(
            "/api/claw/sessions/list",
            Some(&a.token),
            b"{\"limit\": ".to_vec(),
        )
        .await;
    let m = r.error(400);
    assert!(
        m.starts_with("malformed JSON:") && m.contains("line 1"),
        "{m}"
    );
    assert_eq!(r.body["name"], "VALIDATION_ERROR");
    assert_eq!(r.body["field"], "body");
    let m = c
        .post_raw("/api/claw/sessions/list", Some(&a.token), b"[1,2]".to_vec())
        .await
        .error(400);
    assert!(m.contains("JSON object"), "{m}");
    let m = c
        .post_raw("/api/claw/agents/selfRegister", None, vec![0xff, 0xfe])
        .await
        .error(400);
    assert!(m.contains("malformed JSON"), "{m}");
    // Unknown fields are ignored.
    let r = c
        .post(
            "/api/claw/agents/get",
            Some(&a.token),
            json!({"whatever": [1, 2, 3]}),
        )
        .await;
    assert_eq!(r.data()["username"], "alice");
}

#[actix_rt::test]
async fn a_body_over_the_limit_gets_413_naming_the_limit_and_changes_nothing() {
    let s = Server::start_with(&[("AGENTGATE_MAX_BODY_BYTES", "4096")]);
    let c = s.client();
    let a = c.register("alice").await;
    let b = c.register("bob").await;
    let sid = c.session(&a, &[&b]).await;
    let big = json!({"sessionId": sid, "content": "x".repeat(5000)});
    let r = c.call(&a, "sessions/send", big).await;
    assert!(r.error(413).contains("4096-byte limit"), "{}", r.body);
    assert_eq!(r.body["name"], "PAYLOAD_TOO_LARGE");
    let h = c
        .call(&a, "sessions/messages", json!({"sessionId": sid}))
        .await;
    assert_eq!(h.data()["messages"], json!([]));
}

#[actix_rt::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let s = Server::start();
    let c = s.client();
    let r = c.post("/api/claw/sessions/teleport", None, json!({})).await;
    assert!(r.error(404).contains("no such route"));
    let r = c.get("/api/claw/sessions/list").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["success"], false);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = c.get("/nowhere").await;
    r.error(404);
}

#[actix_rt::test]
async fn rest_rate_limit_answers_429_with_retry_after() {
    let s = Server::start_with(&[("AGENTGATE_RATE_LIMIT_PER_MIN", "5")]);
    let c = s.client();
    let a = c.register("alice").await;
    let b = c.register("bob").await;
    for _ in 0..5 {
        c.post_empty("/api/claw/agents/get", Some(&a.token))
            .await
            .data();
    }
    let r = c.post_empty("/api/claw/agents/get", Some(&a.token)).await;
    let m = r.error(429);
    assert!(m.contains("5 requests per minute"), "{m}");
    assert_eq!(r.body["name"], "RATE_LIMITED");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
    assert_eq!(r.body["retryAfter"], wait);
    // Per agent: another agent is not affected.
    c.post_empty("/api/claw/agents/get", Some(&b.token))
        .await
        .data();
}

#[actix_rt::test]
async fn registration_is_limited_per_client_address() {
    let s = Server::start_with(&[("AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR", "2")]);
    let c = s.client();
    c.register("first").await;
    c.register("second").await;
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"username": "third"}),
        )
        .await;
    assert!(r.error(429).contains("2 per hour"), "{}", r.body);
    assert!(r.header("retry-after").is_some());
}

#[actix_rt::test]
async fn metrics_count_connections_messages_and_commits() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let b = c.register("bob").await;
    let sid = c.session(&a, &[&b]).await;
    c.say(&a, &sid, "one").await;
    c.say(&b, &sid, "two").await;
    let sock = common::sio::Sio::with_token(&s.base, &a.token).await;
    let mut res = c.http.get(c.url_of("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    assert_eq!(value("agentgate_messages_total "), 2.0, "{text}");
    assert_eq!(
        value("agentgate_socketio_connections{parser=\"json\"} "),
        1.0,
        "{text}"
    );
    assert_eq!(
        value("agentgate_connections{wire=\"socketio\"} "),
        1.0,
        "{text}"
    );
    assert_eq!(value("agentgate_connections{wire=\"web\"} "), 0.0, "{text}");
    assert_eq!(value("agentgate_online_agents "), 1.0, "{text}");
    assert!(
        value("agentgate_commits_total ") >= 4.0,
        "two registrations, a session, two messages: {text}"
    );
    assert_eq!(value("agentgate_writes_total{outcome=\"failed\"} "), 0.0);
    assert!(value("agentgate_commit_seconds_count ") >= 4.0, "{text}");
    assert_eq!(
        value("agentgate_publish_latency_seconds_count "),
        2.0,
        "{text}"
    );
    sock.close().await;
}
