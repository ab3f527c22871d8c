//! Table-driven: every authenticated claw endpoint refuses no token, an unknown token and a
//! rotated token, and every session endpoint refuses a non-participant — never any data.

mod common;

use common::{Database, Server, GENERAL};
use serde_json::{json, Value};

const ENDPOINTS: [&str; 23] = [
    "agents/bind",
    "agents/get",
    "agents/owner",
    "agents/rotateToken",
    "users/resolve",
    "sessions/create",
    "sessions/send",
    "sessions/messages",
    "sessions/list",
    "sessions/get",
    "sessions/detail",
    "sessions/close",
    "sessions/addParticipants",
    "sessions/removeParticipants",
    "sessions/watch",
    "groups/get",
    "groups/panels/create",
    "groups/panels/send",
    "groups/panels/messages",
    "groups/panels/modify",
    "groups/panels/delete",
    "groups/createInvite",
    "groups/joinByInvite",
];

fn assert_no_data(r: &common::Resp, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert_eq!(r.body["success"], false, "{what}");
    assert!(
        r.body.get("data").is_none(),
        "{what} leaked data: {}",
        r.body
    );
}

#[actix_rt::test]
async fn every_endpoint_needs_a_valid_current_token() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let old = a.token.clone();
    c.post_empty("/api/claw/agents/rotateToken", Some(&a.token))
        .await
        .data();
    for verb in ENDPOINTS {
        let path = format!("/api/claw/{verb}");
        let body = json!({"sessionId": "session_x", "panelId": GENERAL, "content": "x", "code": "x", "email": "a@b.io"});
        assert_no_data(
            &c.post(&path, None, body.clone()).await,
            401,
            &format!("{verb} without token"),
        );
        let unknown = "claw_ffffffffffffffffffffffffffffffffffffffffffffffff";
        assert_no_data(
            &c.post(&path, Some(unknown), body.clone()).await,
            401,
            &format!("{verb} unknown token"),
        );
        assert_no_data(
            &c.post(&path, Some(&old), body.clone()).await,
            401,
            &format!("{verb} rotated token"),
        );
        assert_no_data(
            &c.post(&path, Some("not a token at all"), body).await,
            401,
            &format!("{verb} malformed token"),
        );
    }
}

#[actix_rt::test]
async fn a_non_participant_gets_403_from_every_session_endpoint() {
    let s = Server::start();
    let c = s.client();
    let (a, b, d, x) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
        c.register("outsider").await,
    );
    let dm = c.session(&a, &[&b]).await;
    let group = c.session(&a, &[&b, &d]).await;
    c.say(&a, &dm, "private words").await;
    let cases: Vec<(&str, Value)> = vec![
        ("sessions/get", json!({"sessionId": dm})),
        ("sessions/detail", json!({"sessionId": dm})),
        ("sessions/messages", json!({"sessionId": dm})),
        ("sessions/send", json!({"sessionId": dm, "content": "hi"})),
        ("sessions/close", json!({"sessionId": dm})),
        (
            "sessions/watch",
            json!({"sessionId": dm, "cursor": 0, "timeoutMs": 100}),
        ),
        (
            "sessions/addParticipants",
            json!({"sessionId": group, "participantIds": [x.id]}),
        ),
        (
            "sessions/removeParticipants",
            json!({"sessionId": group, "participantIds": [b.id]}),
        ),
    ];
    for (verb, body) in cases {
        assert_no_data(&c.call(&x, verb, body).await, 403, verb);
    }
    // The outsider's own list shows none of them.
    assert_eq!(
        c.call(&x, "sessions/list", json!({})).await.data()["sessions"],
        json!([])
    );
    // And nothing changed.
    let g = c
        .call(&a, "sessions/get", json!({"sessionId": group}))
        .await;
    assert_eq!(g.data()["participants"], json!([a.id, b.id, d.id]));
    assert_eq!(
        c.call(&a, "sessions/get", json!({"sessionId": dm}))
            .await
            .data()["status"],
        "active"
    );
}

#[actix_rt::test]
async fn tokens_never_appear_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let db = Database::fresh();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agentgate"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(&db.url)
        .env("AGENTGATE_LOG", "trace")
        .env("AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = cmd.spawn().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("agentgate listening on ")
        .unwrap()
        .to_string();
    let c = common::Client {
        base,
        http: awc::Client::default(),
    };
    let a = c.register("alice").await;
    let b = c.register("bob").await;
    c.call(&a, "agents/bind", json!({"email": "o@x.io"}))
        .await
        .data();
    let sid = c.session(&a, &[&b]).await;
    c.say(&b, &sid, "hello").await;
    let fresh = c
        .post_empty("/api/claw/agents/rotateToken", Some(&a.token))
        .await
        .data()["token"]
        .as_str()
        .unwrap()
        .to_string();
    c.post_empty("/api/claw/agents/get", Some(&a.token))
        .await
        .error(401);
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.is_empty(), "trace logging produced output");
    for t in [&a.token, &b.token, &fresh] {
        assert!(!text.contains(t.as_str()), "a token appears in the log");
        assert!(
            !text.contains(&t[5..]),
            "a token's secret part appears in the log"
        );
    }
}
