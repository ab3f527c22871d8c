//! MoltCities raw WebSocket channels against the real binary: the upgrade checks, the personal
//! channel (replay, live delivery, ack, subscribe, error frames), the town square (chat,
//! presence), displacement, idle timeout, limits, status counts and shutdown.

mod common;

use std::time::Duration;

use common::mc_ws::{dm, is_iso_ms, is_uuid_v4, post_square, ws_url, Read, Ws, WAIT};
use common::{Agent, Server};
use serde_json::{json, Value};

/// Raw HTTP on an endpoint: (status, content type, body text).
async fn http(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let c = awc::Client::new();
    let mut req = c.request(method.parse().unwrap(), s.url(path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.expect("request");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = res.body().await.expect("body");
    (
        res.status().as_u16(),
        ct,
        String::from_utf8_lossy(&body).to_string(),
    )
}

/// Upgrade headers of a valid handshake, with the `Upgrade` value given.
fn upgrade_headers(upgrade: &str) -> Vec<(&str, &str)> {
    vec![
        ("Upgrade", upgrade),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ]
}

#[actix_rt::test]
async fn a_malformed_handshake_is_refused_with_what_is_wrong() {
    let s = Server::start();
    let a = s.client().register("alice").await;
    let path = format!("/ws?token={}", a.token);
    let with = |name: &'static str, value: &'static str| {
        let mut h = upgrade_headers("websocket");
        h.retain(|(n, _)| *n != name);
        if !value.is_empty() {
            h.push((name, value));
        }
        h
    };
    let cases = [
        (
            "GET",
            with("Sec-WebSocket-Version", "8"),
            400,
            "unsupported Sec-WebSocket-Version (13 is required)",
        ),
        (
            "GET",
            with("Sec-WebSocket-Key", ""),
            400,
            "missing or malformed Sec-WebSocket-Key",
        ),
        (
            "GET",
            with("Sec-WebSocket-Key", "c2hvcnQ="),
            400,
            "missing or malformed Sec-WebSocket-Key",
        ),
        (
            "GET",
            with("Connection", "keep-alive"),
            400,
            "missing header Connection: upgrade",
        ),
        (
            "POST",
            upgrade_headers("websocket"),
            405,
            "WebSocket upgrade requires GET",
        ),
    ];
    for (method, headers, status, error) in cases {
        let (got, body) = common::raw_request(&s, method, &path, &headers, "").await;
        assert_eq!(got, status, "{method} {headers:?}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({ "error": error }),
            "{method} {headers:?}"
        );
    }
    // The server is unharmed: a proper handshake still works.
    let (mut ws, _) = Ws::personal(&s, &a).await;
    ws.ping().await;
}

#[actix_rt::test]
async fn plain_http_gets_426_and_bad_keys_get_401_before_the_upgrade() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    for path in ["/api/notifications/connect", "/api/ws", "/ws"] {
        for method in ["GET", "POST"] {
            let (status, ct, body) =
                http(&s, method, &format!("{path}?token={}", a.token), &[]).await;
            assert_eq!(status, 426, "{method} {path}");
            assert!(ct.starts_with("text/plain"), "{ct}");
            assert_eq!(body, "Expected WebSocket upgrade");
        }
        // The Upgrade header is matched in any case; the key is checked before the handshake.
        let (status, ct, body) = http(&s, "GET", path, &upgrade_headers("WebSocket")).await;
        assert_eq!(status, 401, "{path}");
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"error": "Missing authentication", "hint": "Add ?token=mc_xxx to the WebSocket URL"})
        );
        let (status, _, body) = http(
            &s,
            "GET",
            &format!("{path}?token=mc_nope"),
            &upgrade_headers("websocket"),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"error": "Invalid API key"})
        );
    }
    // An empty query value counts as absent: the header is used.
    let mut ws = Ws::try_open(
        &ws_url(&s, "/ws?token="),
        Some(&format!("Bearer {}", a.token)),
    )
    .await
    .expect("bearer header accepted");
    assert_eq!(ws.json().await["agent_id"], a.id);
    ws.close().await;
    // Every key source works, on every path.
    let sources = [
        (format!("/api/ws?api_key={}", a.token), None),
        (format!("/ws?key={}", a.token), None),
        (
            "/api/notifications/connect".to_string(),
            Some(a.token.clone()),
        ),
    ];
    for (path, bare_header) in sources {
        let mut ws = Ws::try_open(&ws_url(&s, &path), bare_header.as_deref())
            .await
            .unwrap_or_else(|st| panic!("{path}: {st}"));
        let c = ws.json().await;
        assert_eq!(c["type"], "connected", "{path}");
        assert_eq!(c["agent_id"], a.id);
        ws.close().await;
    }
    assert_eq!(
        Ws::try_open(&ws_url(&s, "/ws?token=bogus"), None)
            .await
            .err(),
        Some(401)
    );
}

#[actix_rt::test]
async fn personal_channel_replays_queued_oldest_first_then_delivers_live() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let m1 = dm(&c, &a, &b, "first while offline").await;
    let m2 = dm(&c, &a, &b, "second while offline").await;

    let (mut ws, connected) = Ws::personal(&s, &b).await;
    assert_eq!(connected["agent_id"], b.id);
    assert!(
        is_uuid_v4(connected["connection_id"].as_str().unwrap()),
        "{connected}"
    );
    assert!(
        is_iso_ms(connected["server_time"].as_str().unwrap()),
        "{connected}"
    );
    let q1 = ws.json().await;
    let q2 = ws.json().await;
    for (q, m, text) in [
        (&q1, &m1, "first while offline"),
        (&q2, &m2, "second while offline"),
    ] {
        assert_eq!(q["type"], "notification", "{q}");
        assert_eq!(q["event_type"], "inbox.message");
        assert_eq!(q["queued"], true);
        assert_eq!(q["agent_id"], b.id);
        assert!(q["id"].as_str().unwrap().starts_with("notif_"), "{q}");
        assert!(is_iso_ms(q["created_at"].as_str().unwrap()), "{q}");
        let d = &q["data"];
        assert_eq!(d["message_id"], m["id"]);
        assert_eq!(d["from_agent_id"], a.id);
        assert_eq!(d["from_handle"], "alice");
        assert_eq!(d["preview"], text);
        assert_eq!(d["subject"], Value::Null);
        assert_eq!(
            d["from"],
            json!({"agent_id": a.id, "id": a.id, "handle": "alice",
                   "display_name": "alice display", "name": "alice display", "avatar": null})
        );
    }
    assert_ne!(q1["id"], q2["id"]);

    let m3 = dm(&c, &a, &b, "live one").await;
    let live = ws.json().await;
    assert_eq!(live["queued"], false);
    assert_eq!(live["event_type"], "inbox.message");
    assert_eq!(live["agent_id"], b.id);
    assert_eq!(live["data"]["message_id"], m3["id"]);
    ws.quiet().await;
    ws.close().await;
}

#[actix_rt::test]
async fn acked_notifications_leave_the_queue_and_unacked_ones_are_replayed() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let (mut ws, _) = Ws::personal(&s, &b).await;
    dm(&c, &a, &b, "one").await;
    dm(&c, &a, &b, "two").await;
    let n1 = ws.json().await;
    let n2 = ws.json().await;
    assert_eq!(
        (n1["queued"].clone(), n2["queued"].clone()),
        (json!(false), json!(false))
    );
    ws.send(json!({"type": "ack", "notification_id": n1["id"]}))
        .await;
    // Unknown ids and malformed acks are silent no-ops.
    ws.send(json!({"type": "ack", "notification_id": "notif_unknown"}))
        .await;
    ws.send(json!({"type": "ack"})).await;
    // The pong comes after the acks were processed: nothing else was sent in between.
    let pong = ws.ping().await;
    let ms = pong["timestamp"].as_i64().unwrap();
    assert!(ms > 1_700_000_000_000, "{pong}");
    ws.close().await;

    let (mut again, _) = Ws::personal(&s, &b).await;
    let replay = again.json().await;
    assert_eq!(replay["id"], n2["id"]);
    assert_eq!(replay["queued"], true);
    assert_eq!(replay["data"]["preview"], "two");
    again.quiet().await;
    again.close().await;
}

#[actix_rt::test]
async fn subscribe_filters_live_delivery_only_and_accepts_real_names() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    // Queued: a DM that also mentions bob (inbox.message + mention).
    let first = dm(&c, &a, &b, "hi @bob").await;
    let (mut ws, _) = Ws::personal(&s, &b).await;
    let mut queued: Vec<Value> = vec![ws.json().await, ws.json().await];
    queued.sort_by_key(|v| v["event_type"].as_str().unwrap().to_string());
    assert_eq!(queued[0]["event_type"], "inbox.message");
    assert_eq!(queued[1]["event_type"], "mention");
    let m = &queued[1]["data"];
    assert_eq!(m["context"], "session");
    assert_eq!(m["message_id"], first["id"]);
    assert_eq!(m["by_agent_id"], a.id);
    assert_eq!(m["by_handle"], "alice");
    assert_eq!(m["snippet"], "hi @bob");
    assert_eq!(m["author_id"], a.id);
    assert_eq!(m["author_name"], "alice display");
    assert_eq!(m["message_preview"], "hi @bob");

    let events = json!(["mention.chat", "site.followed", 7]);
    ws.send(json!({"type": "subscribe", "events": events}))
        .await;
    assert_eq!(
        ws.json().await,
        json!({"type": "subscribed", "events": events})
    );
    // A plain DM is filtered out; a panel mention gets through.
    dm(&c, &a, &b, "no mention here").await;
    let post = post_square(&c, &a, "look @bob").await;
    let live = ws.json().await;
    assert_eq!(live["event_type"], "mention", "{live}");
    assert_eq!(live["queued"], false);
    assert_eq!(live["data"]["message_id"], post["id"]);
    assert_eq!(live["data"]["context"], "panel");
    ws.quiet().await;

    ws.send(json!({"type": "subscribe", "events": "mention"}))
        .await;
    assert_eq!(
        ws.json().await,
        json!({"type": "error", "code": 4009, "message": "Invalid subscribe: events must be an array"})
    );
    ws.send(json!({"type": "subscribe", "events": []})).await;
    assert_eq!(ws.json().await, json!({"type": "subscribed", "events": []}));
    post_square(&c, &a, "again @bob").await;
    ws.quiet().await;
    ws.close().await;

    // The filtered DM was never delivered nor acked: it is replayed on the next connect.
    let (mut again, _) = Ws::personal(&s, &b).await;
    let mut previews = Vec::new();
    loop {
        match again.read(Duration::from_millis(500)).await {
            Read::Json(v) => {
                assert_eq!(v["queued"], true, "{v}");
                if v["event_type"] == "inbox.message" {
                    previews.push(v["data"]["preview"].as_str().unwrap().to_string());
                }
            }
            Read::Timeout => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(previews, ["hi @bob", "no mention here"]);
}

#[actix_rt::test]
async fn error_frames_never_close_the_socket() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let (mut ws, _) = Ws::personal(&s, &a).await;
    let err = |m: &str| json!({"type": "error", "code": 4009, "message": m});
    ws.send(json!({"type": "dance"})).await;
    assert_eq!(ws.json().await, err("Unknown message type"));
    ws.send(json!({"no_type": true})).await;
    assert_eq!(ws.json().await, err("Unknown message type"));
    ws.text("{not json").await;
    assert_eq!(ws.json().await, err("Invalid JSON"));
    ws.binary(b"{\"type\":\"ping\"}").await;
    assert_eq!(ws.json().await, err("Invalid JSON"));
    ws.rfc_ping(b"hb").await;
    match ws.read(WAIT).await {
        Read::Pong(p) => assert_eq!(p, b"hb"),
        other => panic!("{other:?}"),
    }
    ws.ping().await;
    ws.close().await;
}

#[actix_rt::test]
async fn town_square_chat_presence_and_errors() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let (mut wa, ca) = Ws::square(&s, &a).await;
    assert_eq!(ca["online_count"], 1);
    assert!(is_iso_ms(ca["server_time"].as_str().unwrap()));
    assert!(ca.get("connection_id").is_none());
    let (mut wb, cb) = Ws::square(&s, &b).await;
    assert_eq!(cb["online_count"], 2);
    assert_eq!(
        wa.json().await,
        json!({"type": "presence", "event": "joined",
               "agent": {"id": b.id, "handle": "bob"}, "online_count": 2})
    );

    let post = post_square(&c, &b, "hello square").await;
    for ws in [&mut wa, &mut wb] {
        let chat = ws.json().await;
        assert_eq!(chat["type"], "chat");
        assert_eq!(chat["id"], post["id"]);
        assert_eq!(chat["agent_id"], b.id);
        assert_eq!(chat["agent_name"], "bob display");
        assert_eq!(chat["agent_handle"], "bob");
        assert_eq!(chat["message"], "hello square");
        assert!(is_iso_ms(chat["created_at"].as_str().unwrap()), "{chat}");
    }
    // The joiner got no `joined` of its own, and messages elsewhere are not chat.
    let sid = c.session(&a, &[&b]).await;
    c.say(&a, &sid, "private").await;
    wb.quiet().await;

    let chat_error = json!({"type": "error", "code": 4009,
                            "message": "Chat messages must be sent via POST /api/chat"});
    for frame in [
        json!({"type": "chat", "message": "hi"}),
        json!({"type": "ack", "notification_id": "x"}),
        json!({"type": "subscribe", "events": []}),
    ] {
        wa.send(frame).await;
        assert_eq!(wa.json().await, chat_error);
    }
    wa.text("nope{").await;
    assert_eq!(
        wa.json().await,
        json!({"type": "error", "code": 4009, "message": "Invalid JSON"})
    );
    wa.ping().await;

    wb.close().await;
    assert_eq!(
        wa.json().await,
        json!({"type": "presence", "event": "left",
               "agent": {"id": b.id, "handle": "bob"}, "online_count": 1})
    );
    wa.quiet().await;
    wa.close().await;
}

#[actix_rt::test]
async fn town_square_sockets_get_no_notifications_and_channels_coexist() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let (mut square, _) = Ws::square(&s, &b).await;
    let (mut personal, _) = Ws::personal(&s, &b).await;
    dm(&c, &a, &b, "for bob").await;
    let n = personal.json().await;
    assert_eq!(n["event_type"], "inbox.message");
    square.quiet().await;
    // Both sockets stay open side by side.
    square.ping().await;
    personal.ping().await;
}

#[actix_rt::test]
async fn a_new_connection_displaces_the_old_one_per_channel() {
    let s = Server::start();
    let c = s.client();
    let (a, b, w) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("watcher").await,
    );
    // Personal.
    let (mut p1, c1) = Ws::personal(&s, &b).await;
    let (mut p2, c2) = Ws::personal(&s, &b).await;
    assert_ne!(c1["connection_id"], c2["connection_id"]);
    assert_eq!(
        p1.close_frame(WAIT).await,
        (4003, "New connection opened".into())
    );
    // The displaced socket's cleanup did not unregister the new one.
    dm(&c, &a, &b, "after displacement").await;
    assert_eq!(p2.json().await["data"]["preview"], "after displacement");

    // Town square: the watcher hears no presence for a displacement.
    let (mut ws_w, _) = Ws::square(&s, &w).await;
    let (mut s1, _) = Ws::square(&s, &b).await;
    assert_eq!(ws_w.json().await["event"], "joined");
    let (mut s2, cs2) = Ws::square(&s, &b).await;
    assert_eq!(cs2["online_count"], 2);
    assert_eq!(
        s1.close_frame(WAIT).await,
        (4003, "New connection opened".into())
    );
    ws_w.quiet().await;
    let status = c
        .http
        .get(s.url("/api/ws/status"))
        .insert_header(("Authorization", format!("Bearer {}", a.token)))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        status["websocket_status"],
        json!({"town_square": {"connections": 2},
               "personal_notifiers": {"total_connections": 1}, "total": 3})
    );
    post_square(&c, &a, "still there?").await;
    assert_eq!(s2.json().await["message"], "still there?");
    assert_eq!(ws_w.json().await["message"], "still there?");
    s2.close().await;
    assert_eq!(
        ws_w.json().await,
        json!({"type": "presence", "event": "left",
               "agent": {"id": b.id, "handle": "bob"}, "online_count": 1})
    );
    p2.close().await;
}

#[actix_rt::test]
async fn idle_sockets_are_closed_with_4000_and_any_frame_keeps_them_alive() {
    let s = Server::start_with(&[
        ("AGENTGATE_WS_IDLE_TIMEOUT_SECS", "2"),
        ("AGENTGATE_WS_IDLE_CHECK_SECS", "1"),
    ]);
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dave").await,
    );
    let (mut idle, _) = Ws::square(&s, &a).await;
    let (mut busy, _) = Ws::square(&s, &b).await;
    let (mut rfc, _) = Ws::personal(&s, &d).await;
    assert_eq!(idle.json().await["event"], "joined");
    let started = tokio::time::Instant::now();
    // `busy` keeps alive with JSON pings, `rfc` with protocol pings only; whatever else `busy`
    // receives meanwhile is kept.
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_millis(4500) {
        busy.send(json!({"type": "ping"})).await;
        loop {
            let v = busy.json().await;
            if v["type"] == "pong" {
                break;
            }
            seen.push(v);
        }
        rfc.rfc_ping(b"k").await;
        match rfc.read(WAIT).await {
            Read::Pong(p) => assert_eq!(p, b"k"),
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        idle.close_frame(WAIT).await,
        (4000, "Connection timeout".into())
    );
    // Only `timeout` reaches the others: no extra `left`.
    assert_eq!(
        seen,
        vec![json!({"type": "presence", "event": "timeout",
                    "agent": {"id": a.id, "handle": "alice"}, "online_count": 1})]
    );
    // Both kept-alive sockets are still open after more than twice the timeout.
    busy.ping().await;
    rfc.ping().await;
    busy.quiet().await;
}

#[actix_rt::test]
async fn status_needs_auth_and_reports_true_counts_and_health_counts_agents() {
    let s = Server::start();
    let c = s.client();
    let (a, b) = (c.register("alice").await, c.register("bob").await);
    let status = |h: Vec<(&'static str, String)>| {
        let c = &c;
        let s = &s;
        async move {
            let mut req = c.http.get(s.url("/api/ws/status"));
            for (k, v) in h {
                req = req.insert_header((k, v));
            }
            let mut res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (st, body) = status(vec![]).await;
    assert_eq!(st, 401);
    assert_eq!(body["error"], "Authentication failed");
    assert_eq!(body["received"], "No Authorization header");
    let (st, body) = status(vec![("Authorization", "Token abc".into())]).await;
    assert_eq!(st, 401);
    assert_eq!(body["received"], "\"Token abc\"");
    let bad = format!("mc_{}", "0".repeat(64));
    let (st, body) = status(vec![("Authorization", format!("Bearer {bad}"))]).await;
    assert_eq!(st, 401);
    assert_eq!(body["received"], "Bearer mc_00000...0000 (67 chars)");

    let (st, body) = status(vec![("X-Claw-Token", a.token.clone())]).await;
    assert_eq!(st, 200);
    assert_eq!(
        body["websocket_status"],
        json!({"town_square": {"connections": 0},
               "personal_notifiers": {"total_connections": 0}, "total": 0})
    );
    assert!(is_iso_ms(body["timestamp"].as_str().unwrap()));

    let (pa, _) = Ws::personal(&s, &a).await;
    let (sa, _) = Ws::square(&s, &a).await;
    let (sb, _) = Ws::square(&s, &b).await;
    let (_, body) = status(vec![("Authorization", format!("Bearer {}", b.token))]).await;
    assert_eq!(
        body["websocket_status"],
        json!({"town_square": {"connections": 2},
               "personal_notifiers": {"total_connections": 1}, "total": 3})
    );
    assert_eq!(c.get("/health").await.body["connectedUsers"], 2);
    for ws in [pa, sa, sb] {
        ws.close().await;
    }
    // Cleanup runs right after the close handshake; allow it a moment.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, body) = status(vec![("Authorization", format!("Bearer {}", b.token))]).await;
        let users = c.get("/health").await.body["connectedUsers"].clone();
        if body["websocket_status"]["total"] == 0 && users == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body} {users}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_rt::test]
async fn an_oversized_frame_closes_with_1009() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let (mut ws, _) = Ws::personal(&s, &a).await;
    // Just under the limit is an ordinary (bad) frame.
    ws.text(&"x".repeat(64 * 1024)).await;
    assert_eq!(ws.json().await["message"], "Invalid JSON");
    ws.text(&"x".repeat(64 * 1024 + 1)).await;
    assert_eq!(
        ws.close_frame(WAIT).await,
        (1009, "Message over 65536 bytes".into())
    );
}

#[actix_rt::test]
async fn a_square_above_the_presence_limit_stops_announcing_joins_and_leaves() {
    let s = Server::start_with(&[("AGENTGATE_TOWN_SQUARE_PRESENCE_MAX", "2")]);
    let c = s.client();
    let (a, b, d) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("dora").await,
    );
    let (mut wa, _) = Ws::square(&s, &a).await;
    let (mut wb, _) = Ws::square(&s, &b).await;
    // Two members: at the limit, still announced.
    assert_eq!(wa.json().await["online_count"], 2);
    // A third: the count is in its own `connected`, but nobody hears of it.
    let (wd, cd) = Ws::square(&s, &d).await;
    assert_eq!(cd["online_count"], 3);
    wa.quiet().await;
    wb.quiet().await;
    // Leaving a square of three (two remain): at the limit again, announced.
    wd.close().await;
    for ws in [&mut wa, &mut wb] {
        assert_eq!(
            ws.json().await,
            json!({"type": "presence", "event": "left",
                   "agent": {"id": d.id, "handle": "dora"}, "online_count": 2})
        );
    }
    // Chat still reaches everyone.
    let post = post_square(&c, &a, "still here").await;
    assert_eq!(wb.json().await["id"], post["id"]);
}

#[actix_rt::test]
async fn a_client_that_stops_reading_is_closed_as_a_slow_consumer() {
    let s = Server::start_with(&[
        ("AGENTGATE_OUTBOUND_QUEUE", "4"),
        ("AGENTGATE_MAX_MESSAGE_CHARS", "100000"),
    ]);
    let c = s.client();
    let (a, b, h) = (
        c.register("alice").await,
        c.register("bob").await,
        c.register("healthy").await,
    );
    let (mut slow, _) = Ws::square(&s, &b).await;
    // A listener that keeps reading, on its own task: it must get every post, in order, and
    // stay connected while its neighbour is cut off.
    let (mut healthy, _) = Ws::square(&s, &h).await;
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(usize::MAX);
    let reader = actix_rt::spawn(async move {
        let mut got: Vec<String> = Vec::new();
        // Bounded: ends when the wanted count arrives, the socket closes or 30 s pass quietly.
        loop {
            if got.len() >= *done_rx.borrow() {
                return (got, None);
            }
            tokio::select! {
                _ = done_rx.changed() => continue,
                r = healthy.read(Duration::from_secs(30)) => match r {
                    Read::Json(v) if v["type"] == "chat" => {
                        got.push(v["message"].as_str().unwrap_or_default().chars().take(12).collect())
                    }
                    Read::Json(_) | Read::Pong(_) => {}
                    other => return (got, Some(format!("{other:?}"))),
                },
            }
        }
    });
    // Large posts fill the socket buffers of a client that does not read; then the bounded
    // queue overflows. Stop posting as soon as the server reports the slow socket gone.
    let big = "y".repeat(90_000);
    let mut closed = false;
    let mut posted = Vec::new();
    for i in 0..400 {
        let tag = format!("{i:06}");
        post_square(&c, &a, &format!("{tag}{big}")).await;
        posted.push(format!("{tag}{}", &big[..6]));
        let st = c
            .http
            .get(s.url("/api/ws/status"))
            .insert_header(("Authorization", format!("Bearer {}", a.token)))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if st["websocket_status"]["total"] == 1 {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow socket was never dropped");
    let (code, reason) = slow.close_frame(Duration::from_secs(20)).await;
    assert_eq!((code, reason.as_str()), (4008, "Slow consumer"));
    done_tx.send(posted.len()).unwrap();
    let (got, ended) = reader.await.unwrap();
    assert_eq!(ended, None, "the healthy listener was cut off too");
    assert_eq!(got, posted, "the healthy listener got every post, in order");
}

#[actix_rt::test]
async fn a_revoked_key_ends_its_sockets() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let (mut ws, _) = Ws::personal(&s, &a).await;
    let r = c.call(&a, "agents/rotateToken", json!({})).await;
    let new_token = r.data()["token"].as_str().unwrap().to_string();
    assert_eq!(ws.close_frame(WAIT).await, (1008, "API key revoked".into()));
    let fresh = Agent {
        token: new_token,
        ..a.clone()
    };
    let (mut again, _) = Ws::personal(&s, &fresh).await;
    again.ping().await;
}

#[actix_rt::test]
async fn shutdown_closes_sockets_with_1001() {
    let mut s = Server::start();
    let c = s.client();
    let a = c.register("alice").await;
    let (mut p, _) = Ws::personal(&s, &a).await;
    let (mut q, _) = Ws::square(&s, &a).await;
    let started = std::time::Instant::now();
    let status = s.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "sockets held the shutdown for {:?}",
        started.elapsed()
    );
    assert_eq!(
        p.close_frame(WAIT).await,
        (1001, "Server shutting down".into())
    );
    assert_eq!(
        q.close_frame(WAIT).await,
        (1001, "Server shutting down".into())
    );
}

#[actix_rt::test]
async fn a_frame_flood_gets_one_error_frame_and_the_socket_survives() {
    let s = Server::start_with(&[("AGENTGATE_WS_FRAMES_PER_SEC", "10")]);
    let c = s.client();
    let a = c.register("alice").await;
    let (mut ws, _) = Ws::personal(&s, &a).await;
    for _ in 0..60 {
        ws.send(json!({"type": "ping"})).await;
    }
    let mut pongs = 0;
    let mut errors = Vec::new();
    while let Read::Json(v) = ws.read(common::mc_ws::QUIET).await {
        match v["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => errors.push(v),
            _ => panic!("unexpected {v}"),
        }
    }
    assert!(
        (20..=25).contains(&pongs),
        "the burst of 20 (plus what refilled) is answered: {pongs}"
    );
    assert_eq!(
        errors.len(),
        1,
        "one error frame per refused run: {errors:?}"
    );
    assert_eq!(errors[0]["code"], 4009);
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Rate limit exceeded: at most 10 frames per second"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(ws.ping().await["type"], "pong");
}
