//! Hardening, through the real server: failed-authentication throttling per client address on
//! every wire, the client address behind trusted proxies, the `Origin` allow-list on live
//! upgrades, who may read `/metrics`, and no existence oracle.

mod common;

use std::time::Duration;

use common::sio::{Connect, Sio};
use common::{Client, Resp, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(10);

/// One request over raw TCP; reads the head and a `Content-Length` body, so a 101 (which stays
/// open) is read as well as a refusal. Returns status, lower-case headers and body.
async fn raw(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_string())
                    })
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= len {
                    return (head.to_ascii_lowercase(), body[..len].to_string());
                }
            }
            let n = tcp.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed early: {text}");
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    let (head, body) = tokio::time::timeout(WAIT, read).await.expect("an answer");
    (head[9..12].parse().unwrap(), head, body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(str::trim)
}

/// Upgrade headers of a valid WebSocket handshake.
const UPGRADE: [(&str, &str); 4] = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
];

fn upgrade_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    UPGRADE.iter().chain(extra.iter()).copied().collect()
}

/// A claw call from a client address (through the trusted loopback proxy).
async fn claw_from(c: &Client, from: &str, token: &str) -> Resp {
    let mut res = c
        .http
        .post(c.url_of("/api/claw/sessions/list"))
        .insert_header(("X-Forwarded-For", from))
        .insert_header(("X-Claw-Token", token))
        .insert_header(("Content-Type", "application/json"))
        .send_body("{}")
        .await
        .unwrap();
    Client::finish_pub(&mut res).await
}

/// `GET /api/inbox` from a client address with a MoltCities key.
async fn mc_from(c: &Client, from: &str, key: &str) -> Resp {
    let mut res = c
        .http
        .get(c.url_of("/api/inbox"))
        .insert_header(("X-Forwarded-For", from))
        .insert_header(("Authorization", format!("Bearer {key}")))
        .send()
        .await
        .unwrap();
    Client::finish_pub(&mut res).await
}

#[actix_rt::test]
async fn failed_authentication_is_throttled_per_address_on_every_wire_then_lifts() {
    let s = Server::start_with(&[
        ("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "3"),
        ("AGENTGATE_AUTH_FAILURE_WINDOW_SECS", "2"),
        ("AGENTGATE_TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    let c = s.client();
    let good = c.register("thrott_ok").await;
    let a = "198.51.100.1";
    for i in 0..3 {
        let r = claw_from(&c, a, &format!("claw_wrong{i}")).await;
        assert_eq!(r.error(401), "invalid token");
    }
    // Blocked: the claw wire answers 429 in its envelope, before looking at the token, so even
    // a valid token from this address waits.
    for token in ["claw_wrong9", good.token.as_str()] {
        let r = claw_from(&c, a, token).await;
        let msg = r.error(429);
        assert!(
            msg.contains("too many failed authentication attempts"),
            "{msg}"
        );
        let wait: u64 = r.header("Retry-After").unwrap().parse().unwrap();
        assert!((1..=2).contains(&wait), "{wait}");
        assert_eq!(r.body["retryAfter"], json!(wait));
    }
    // The MoltCities REST wire, in its own shape.
    let r = mc_from(&c, a, &good.token).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("too many failed"),
        "{}",
        r.body
    );
    assert!(r.header("Retry-After").is_some());
    // The MoltCities WebSocket handshake.
    let path = format!("/api/notifications/connect?token={}", good.token);
    let (status, head, body) =
        raw(&s, "GET", &path, &upgrade_with(&[("X-Forwarded-For", a)])).await;
    assert_eq!(status, 429, "{head}{body}");
    assert!(header(&head, "retry-after").is_some(), "{head}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(
        body["retry_after"]
            .as_u64()
            .is_some_and(|w| (1..=2).contains(&w)),
        "{body}"
    );
    // Another address is unaffected, on every wire.
    let b = "198.51.100.2";
    claw_from(&c, b, &good.token).await.data();
    assert_eq!(mc_from(&c, b, &good.token).await.status, 200);
    let (status, ..) = raw(&s, "GET", &path, &upgrade_with(&[("X-Forwarded-For", b)])).await;
    assert_eq!(status, 101);
    // After the wait the blocked address works again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    claw_from(&c, a, &good.token).await.data();
    assert_eq!(mc_from(&c, a, &good.token).await.status, 200);
}

#[actix_rt::test]
async fn a_forwarded_header_from_an_untrusted_peer_does_not_escape_the_block() {
    let s = Server::start_with(&[
        ("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "2"),
        ("AGENTGATE_AUTH_FAILURE_WINDOW_SECS", "60"),
    ]);
    let c = s.client();
    claw_from(&c, "203.0.113.1", "claw_x1").await.error(401);
    claw_from(&c, "203.0.113.2", "claw_x2").await.error(401);
    // No proxy is trusted: all three came from 127.0.0.1, whatever the header says.
    let r = claw_from(&c, "203.0.113.3", "claw_x3").await;
    r.error(429);
    let wait: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[actix_rt::test]
async fn socket_io_bad_tokens_get_a_connect_error_with_the_wait_and_unknown_sids_a_429() {
    let s = Server::start_with(&[
        ("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "2"),
        ("AGENTGATE_AUTH_FAILURE_WINDOW_SECS", "60"),
    ]);
    for _ in 0..2 {
        match Sio::connect(&s.base, json!({"token": "claw_nope"})).await {
            Connect::Refused(v) => {
                assert_eq!(v, json!({"message": "Authentication error: Invalid token"}))
            }
            Connect::Ok(_) => panic!("a bad token connected"),
        }
    }
    match Sio::connect(&s.base, json!({"token": "claw_nope"})).await {
        Connect::Refused(v) => {
            let msg = v["message"].as_str().unwrap();
            assert!(
                msg.starts_with("Authentication error: too many failed"),
                "{v}"
            );
            let wait = v["data"]["retryAfter"].as_u64().unwrap();
            assert!((1..=60).contains(&wait), "{v}");
            assert!(msg.contains(&format!("retry in {wait} s")), "{v}");
        }
        Connect::Ok(_) => panic!("a blocked address connected"),
    }
    // Unknown Engine.IO sids: counted apart from tokens, the same limit.
    let path = "/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA";
    for _ in 0..2 {
        let (status, _, body) = raw(&s, "GET", path, &[]).await;
        assert_eq!(
            (status, body.as_str()),
            (400, r#"{"code":1,"message":"Session ID unknown"}"#)
        );
    }
    let (status, head, body) = raw(&s, "GET", path, &[]).await;
    assert_eq!(status, 429, "{body}");
    let wait: u64 = header(&head, "retry-after").unwrap().parse().unwrap();
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], 1);
    assert_eq!(body["retryAfter"], wait);
}

#[actix_rt::test]
async fn browser_origins_are_checked_on_upgrades_and_handshakes() {
    let s = Server::start();
    let c = s.client();
    let key = c.register("origin_ok").await.token;
    let ws = format!("/ws?token={key}");
    let sio = "/socket.io/?EIO=4&transport=polling";
    let same = s.base.clone();
    let same: &'static str = Box::leak(same.into_boxed_str());

    // Absent (agents) and same-origin: allowed.
    assert_eq!(raw(&s, "GET", &ws, &UPGRADE).await.0, 101);
    assert_eq!(
        raw(&s, "GET", &ws, &upgrade_with(&[("Origin", same)]))
            .await
            .0,
        101
    );
    assert_eq!(raw(&s, "GET", sio, &[]).await.0, 200);
    assert_eq!(raw(&s, "GET", sio, &[("Origin", same)]).await.0, 200);
    // Another origin: 403 with the reason, on both wires.
    let evil = [("Origin", "http://evil.example")];
    let (status, _, body) = raw(&s, "GET", &ws, &upgrade_with(&evil)).await;
    assert_eq!(status, 403);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"error": "Origin not allowed: http://evil.example"})
    );
    let (status, _, body) = raw(&s, "GET", sio, &evil).await;
    assert_eq!(status, 403);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"code": 4, "message": "Forbidden", "reason": "Origin not allowed: http://evil.example"})
    );

    // A configured list, and `*`.
    let s2 = Server::start_with(&[("AGENTGATE_ALLOWED_ORIGINS", "https://app.example.com")]);
    let app = [("Origin", "https://app.example.com")];
    assert_eq!(raw(&s2, "GET", sio, &app).await.0, 200);
    assert_eq!(raw(&s2, "GET", sio, &evil).await.0, 403);
    let s3 = Server::start_with(&[("AGENTGATE_ALLOWED_ORIGINS", "*")]);
    assert_eq!(raw(&s3, "GET", sio, &evil).await.0, 200);
}

#[actix_rt::test]
async fn metrics_are_for_loopback_or_the_token_and_others_get_the_unknown_path_404() {
    let s = Server::start();
    let (status, _, body) = raw(&s, "GET", "/metrics", &[]).await;
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE"), "{body}");
    // Through a proxy (a forwarding header), loopback proves nothing.
    let (status, _, proxied) =
        raw(&s, "GET", "/metrics", &[("X-Forwarded-For", "127.0.0.1")]).await;
    let (_, _, unknown) = raw(&s, "GET", "/no/such/path", &[]).await;
    assert_eq!(status, 404);
    assert_eq!(proxied, unknown, "the same body as a path no route serves");

    let s = Server::start_with(&[("AGENTGATE_METRICS_TOKEN", "m3trics-secret")]);
    assert_eq!(raw(&s, "GET", "/metrics", &[]).await.0, 404);
    let wrong = [("Authorization", "Bearer nope")];
    assert_eq!(raw(&s, "GET", "/metrics", &wrong).await.0, 404);
    let right = [
        ("Authorization", "Bearer m3trics-secret"),
        ("X-Forwarded-For", "192.0.2.8"),
    ];
    assert_eq!(raw(&s, "GET", "/metrics", &right).await.0, 200);
}

#[actix_rt::test]
async fn conversation_ids_are_unguessable_and_inbox_items_answer_alike() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("oracle_a").await;
    let b = c.register("oracle_b").await;
    let x = c.register("oracle_x").await;
    // Sessions made one after the other share only their time prefix.
    let s1 = c.session(&a, &[&b]).await;
    let s2 = c.session(&a, &[&b, &x]).await;
    let (s1, s2) = (&s1["session_".len()..], &s2["session_".len()..]);
    assert_eq!((s1.len(), s2.len()), (24, 24));
    assert_ne!(s1[8..18], s2[8..18], "no shared process part, no counter");
    let p1 = c
        .call(&a, "groups/panels/create", json!({"name": "p-one"}))
        .await;
    let p2 = c
        .call(&a, "groups/panels/create", json!({"name": "p-two"}))
        .await;
    let id = |r: &Resp| {
        let d = r.data();
        d["panel"]["id"]
            .as_str()
            .or(d["id"].as_str())
            .unwrap()
            .to_string()
    };
    let (p1, p2) = (id(&p1), id(&p2));
    assert_ne!(p1[8..18], p2[8..18], "no shared process part, no counter");

    // MoltCities inbox: someone else's message and no message answer byte for byte alike.
    let (ma, _) = c.citizen("Ora", "ora-site").await;
    let (mb, _) = c.citizen("Orb", "orb-site").await;
    let (mx, _) = c.citizen("Orx", "orx-site").await;
    let sent = c
        .mc(
            "POST",
            "/api/agents/orb-site/message",
            Some(&ma.key),
            Some(json!({"body": "hi"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let theirs = format!("/api/inbox/{}", sent.body["id"].as_str().unwrap());
    let missing = "/api/inbox/000000000000000000000";
    for method in ["DELETE", "PATCH"] {
        let (st1, b1) = inbox_call(&s, &mx.key, method, &theirs).await;
        let (st2, b2) = inbox_call(&s, &mx.key, method, missing).await;
        assert_eq!(st1, 404, "{b1}");
        assert_eq!((st1, &b1), (st2, &b2), "{method}");
    }
    let _ = mb;
}

/// A PATCH (marking read) or DELETE of an inbox item with a key.
async fn inbox_call(s: &Server, key: &str, method: &str, path: &str) -> (u16, String) {
    let auth = format!("Bearer {key}");
    let body = if method == "PATCH" {
        r#"{"read":true}"#
    } else {
        ""
    };
    let len = body.len().to_string();
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("Content-Length", len.as_str()),
        ("Connection", "close"),
    ];
    common::raw_request(s, method, path, &headers, body).await
}
