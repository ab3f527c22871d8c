//! Table-driven: every size limit, on every wire that has it, answers a clear error that names
//! the limit, and changes nothing. The limits are set small here; the defaults are in
//! docs/RELIABILITY.md.

mod common;

use common::{Resp, Server, GENERAL};
use serde_json::{json, Value};

const ENV: [(&str, &str); 4] = [
    ("AGENTGATE_MAX_BODY_BYTES", "4096"),
    ("AGENTGATE_MAX_MESSAGE_CHARS", "20"),
    ("AGENTGATE_MAX_PARTICIPANTS", "3"),
    ("AGENTGATE_MAX_IDS_PER_REQUEST", "2"),
];

/// The error text of either wire's error body.
fn message(r: &Resp) -> String {
    r.body["message"]
        .as_str()
        .or(r.body["error"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[actix_rt::test]
async fn every_limit_is_named_in_its_error_and_changes_nothing() {
    let s = Server::start_with(&ENV);
    let c = s.client();
    let (a, b, d, e) = (
        c.register("lim_a").await,
        c.register("lim_b").await,
        c.register("lim_d").await,
        c.register("lim_e").await,
    );
    let sid = c.session(&a, &[&b]).await;
    let long = "x".repeat(21);
    let big = "y".repeat(5000);
    // (what, response, status, text the error must contain)
    let mut cases: Vec<(&str, Resp, u16, String)> = Vec::new();
    let claw = |verb: &'static str, body: Value| {
        let (c, a) = (&c, &a);
        async move { c.call(a, verb, body).await }
    };
    cases.push((
        "claw body size",
        claw("sessions/send", json!({"sessionId": sid, "content": big})).await,
        413,
        "4096-byte limit".into(),
    ));
    cases.push((
        "MoltCities body size",
        c.mc(
            "POST",
            &format!("/api/agents/{}/message", b.id),
            Some(&a.token),
            Some(json!({"body": big})),
        )
        .await,
        413,
        "4096-byte limit".into(),
    ));
    cases.push((
        "session message length",
        claw("sessions/send", json!({"sessionId": sid, "content": long})).await,
        413,
        "20 characters".into(),
    ));
    cases.push((
        "panel message length",
        claw(
            "groups/panels/send",
            json!({"panelId": GENERAL, "content": long}),
        )
        .await,
        413,
        "20 characters".into(),
    ));
    cases.push((
        "inbox message length",
        c.mc(
            "POST",
            &format!("/api/agents/{}/message", b.id),
            Some(&a.token),
            Some(json!({"body": long})),
        )
        .await,
        413,
        "20 characters".into(),
    ));
    cases.push((
        "town square message length",
        c.mc(
            "POST",
            "/api/chat",
            Some(&a.token),
            Some(json!({"message": long})),
        )
        .await,
        413,
        "20 characters".into(),
    ));
    cases.push((
        "participants at creation",
        claw(
            "sessions/create",
            json!({"participants": [b.id, d.id, e.id]}),
        )
        .await,
        413,
        "limit of 3 per session".into(),
    ));
    let trio = c.session(&a, &[&b, &d]).await;
    cases.push((
        "participants added",
        claw(
            "sessions/addParticipants",
            json!({"sessionId": trio, "participantIds": [e.id]}),
        )
        .await,
        413,
        "limit of 3 per session".into(),
    ));
    cases.push((
        "ids per request",
        claw("users/resolve", json!({"userIds": [a.id, b.id, d.id]})).await,
        413,
        "limit of 2 ids per request".into(),
    ));
    cases.push((
        "notification ids per request",
        c.mc(
            "POST",
            "/api/notifications/read",
            Some(&a.token),
            Some(json!({"ids": (0..101).map(|i| format!("notif_{i}")).collect::<Vec<_>>()})),
        )
        .await,
        400,
        "Maximum 100 ids per request".into(),
    ));
    cases.push((
        "panel name length",
        claw("groups/panels/create", json!({"name": "n".repeat(101)})).await,
        400,
        "100-character limit".into(),
    ));
    for (what, r, status, text) in &cases {
        assert_eq!(r.status, *status, "{what}: {}", r.body);
        let m = message(r);
        assert!(
            m.contains(text.as_str()),
            "{what}: {m:?} does not name {text:?}"
        );
    }
    // Nothing changed: no message anywhere, no session with a fourth member, no new panel.
    for conv in [&sid, &trio] {
        let h = c
            .call(&a, "sessions/messages", json!({"sessionId": conv}))
            .await;
        assert_eq!(h.data()["messages"], json!([]), "{conv}");
    }
    let g = c.call(&a, "sessions/get", json!({"sessionId": trio})).await;
    assert_eq!(g.data()["participants"].as_array().unwrap().len(), 3);
    let panel = c
        .call(&a, "groups/panels/messages", json!({"panelId": GENERAL}))
        .await;
    assert_eq!(panel.data()["messages"], json!([]));
    let groups = c.call(&a, "groups/get", json!({})).await;
    assert_eq!(groups.data()["panels"].as_array().unwrap().len(), 2);
    assert_eq!(
        c.call(&b, "sessions/list", json!({})).await.data()["sessions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
