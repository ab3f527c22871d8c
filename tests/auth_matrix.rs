//! Table-driven: every authenticated MoltCities route, both WebSocket channels and the Socket.IO
//! handshake refuse a missing, malformed, unknown, rotated or recovered credential; another
//! agent's inbox item, notification, job, private panel and session stay out of reach on every
//! wire — 401/403/404, never data, and nothing changes. (The claw REST routes have their own
//! table in `api_auth.rs`.)

mod common;

use common::mc_ws::{ws_url, Ws};
use common::sio::{Connect, Sio};
use common::{Client, Resp, Server, GROUP};
use serde_json::{json, Value};
use std::time::Duration;

/// Every MoltCities route that needs a key: (method, path, body).
fn authenticated_routes() -> Vec<(&'static str, String, Option<Value>)> {
    let j = Some(json!({}));
    vec![
        ("GET", "/api/me".into(), None),
        ("PATCH", "/api/me".into(), Some(json!({"name": "x"}))),
        (
            "POST",
            "/api/sites".into(),
            Some(json!({"slug": "zz-site", "title": "t"})),
        ),
        ("POST", "/api/sites/anything/follow".into(), j.clone()),
        ("PUT", "/api/sites/anything".into(), j.clone()),
        ("PATCH", "/api/sites/anything".into(), j.clone()),
        ("DELETE", "/api/sites/anything".into(), None),
        ("GET", "/api/my/sites".into(), None),
        ("GET", "/api/me/pubkey".into(), None),
        ("GET", "/api/onboarding".into(), None),
        ("POST", "/api/me/pubkey".into(), j.clone()),
        ("POST", "/api/me/pubkey/verify".into(), j.clone()),
        ("DELETE", "/api/jobs/some-id".into(), None),
        ("POST", "/api/agents/someone/report".into(), j.clone()),
        ("POST", "/api/reports/some-id/vote".into(), j.clone()),
        ("GET", "/api/my/jobs".into(), None),
        ("GET", "/api/me/reputation".into(), None),
        ("POST", "/api/jobs/some-id/verify".into(), None),
        (
            "POST",
            "/api/subscribe".into(),
            Some(json!({"email": "a@example.org"})),
        ),
        (
            "POST",
            "/api/unsubscribe".into(),
            Some(json!({"email": "a@example.org"})),
        ),
        (
            "POST",
            "/api/jobs/some-id/rate".into(),
            Some(json!({"rating": 5})),
        ),
        ("POST", "/api/vault".into(), j.clone()),
        ("GET", "/api/vault".into(), None),
        ("GET", "/api/vault/some-id".into(), None),
        ("DELETE", "/api/vault/some-id".into(), None),
        ("POST", "/api/governance/proposals".into(), j.clone()),
        ("POST", "/api/governance/proposals/p/vote".into(), j.clone()),
        (
            "POST",
            "/api/governance/proposals/p/comments".into(),
            j.clone(),
        ),
        ("POST", "/api/rings".into(), j.clone()),
        ("POST", "/api/rings/anything/join".into(), j.clone()),
        ("POST", "/api/rings/anything/leave".into(), j.clone()),
        (
            "POST",
            "/api/agents/someone/message".into(),
            Some(json!({"body": "hi"})),
        ),
        ("GET", "/api/inbox".into(), None),
        ("GET", "/api/inbox/stats".into(), None),
        ("GET", "/api/inbox/sent".into(), None),
        (
            "PATCH",
            "/api/inbox/some-id".into(),
            Some(json!({"read": true})),
        ),
        ("DELETE", "/api/inbox/some-id".into(), None),
        ("POST", "/api/inbox/some-id/read".into(), j.clone()),
        ("PATCH", "/api/inbox/some-id/read".into(), j.clone()),
        (
            "POST",
            "/api/jobs".into(),
            Some(json!({"title": "Write a haiku", "description": "Seventeen syllables, please."})),
        ),
        ("POST", "/api/jobs/some-id/attempt".into(), j.clone()),
        ("POST", "/api/jobs/some-id/submit".into(), j.clone()),
        ("POST", "/api/jobs/some-id/approve".into(), j.clone()),
        ("POST", "/api/jobs/some-id/dispute".into(), j.clone()),
        ("POST", "/api/jobs/some-id/cancel".into(), j.clone()),
        ("GET", "/api/notifications".into(), None),
        ("GET", "/api/notifications/stats".into(), None),
        (
            "POST",
            "/api/notifications/read".into(),
            Some(json!({"ids": ["notif_x"]})),
        ),
        ("POST", "/api/notifications/notif_x/read".into(), j.clone()),
        ("POST", "/api/chat".into(), Some(json!({"message": "hi"}))),
        (
            "POST",
            "/api/town-square".into(),
            Some(json!({"message": "hi"})),
        ),
        ("GET", "/api/ws/status".into(), None),
    ]
}

/// A refusal that carries no data: the status, and a body of error fields only.
fn assert_refused(r: &Resp, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    let allowed = [
        "error", "message", "hint", "received", "success", "code", "name", "field", "details",
        "docs",
    ];
    let keys: Vec<&String> = r
        .body
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert!(!keys.is_empty(), "{what}: an error body: {}", r.body);
    assert!(
        keys.iter().all(|k| allowed.contains(&k.as_str())),
        "{what} answered more than an error: {}",
        r.body
    );
}

/// Raw `Authorization` header values and `?token=` values that must all be refused, by name.
struct BadCredentials {
    rotated: String,
    recovered: String,
}

impl BadCredentials {
    fn headers(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("no header", None),
            ("not Bearer", Some("Token abc".into())),
            ("empty Bearer", Some("Bearer ".into())),
            ("malformed key", Some("Bearer not a key at all".into())),
            (
                "unknown mc key",
                Some(format!("Bearer mc_{}", "ab".repeat(32))),
            ),
            (
                "unknown claw token",
                Some(format!("Bearer claw_{}", "f".repeat(48))),
            ),
            (
                "rotated claw token",
                Some(format!("Bearer {}", self.rotated)),
            ),
            (
                "recovered mc key",
                Some(format!("Bearer {}", self.recovered)),
            ),
        ]
    }

    fn tokens(&self) -> Vec<(&'static str, String)> {
        vec![
            ("empty", String::new()),
            ("malformed", "not-a-key".into()),
            ("unknown mc key", format!("mc_{}", "ab".repeat(32))),
            ("rotated claw token", self.rotated.clone()),
            ("recovered mc key", self.recovered.clone()),
        ]
    }
}

async fn request(
    c: &Client,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&Value>,
) -> Resp {
    let url = c.url_of(path);
    let mut req = match method {
        "GET" => c.http.get(url),
        "PATCH" => c.http.patch(url),
        "PUT" => c.http.put(url),
        "DELETE" => c.http.delete(url),
        _ => c.http.post(url),
    };
    if let Some(a) = auth {
        req = req.insert_header(("Authorization", a));
    }
    let mut res = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    }
    .expect("request failed");
    Client::finish_pub(&mut res).await
}

/// A key that was valid until `agents/rotateToken`, and one until MoltCities recovery.
async fn revoked_credentials(c: &Client) -> BadCredentials {
    let a = c.register("rotated_one").await;
    c.post_empty("/api/claw/agents/rotateToken", Some(&a.token))
        .await
        .data();
    let (citizen, keys) = c.citizen("Recovered", "recovered").await;
    let r = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": keys.pem})),
        )
        .await;
    let challenge = r.body["challenge"].as_str().unwrap();
    let v = c
        .mc(
            "POST",
            "/api/recover/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"], "signature": keys.sign(challenge)})),
        )
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    BadCredentials {
        rotated: a.token,
        recovered: citizen.key,
    }
}

#[actix_rt::test]
async fn every_moltcities_route_refuses_every_bad_credential() {
    let s = Server::start();
    let c = s.client();
    let bad = revoked_credentials(&c).await;
    let routes = authenticated_routes();
    let mut checked = 0;
    for (method, path, body) in &routes {
        for (name, header) in bad.headers() {
            let r = request(&c, method, path, header.as_deref(), body.as_ref()).await;
            assert_refused(&r, 401, &format!("{method} {path} with {name}"));
            assert_eq!(
                r.body["error"], "Authentication failed",
                "{method} {path} {name}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, routes.len() * 8);
    // Nothing was created by the refused calls.
    assert_eq!(
        c.mc("GET", "/api/jobs", None, None).await.body["jobs"],
        json!([])
    );
    assert_eq!(
        c.mc("GET", "/api/sites/zz-site", None, None).await.status,
        404
    );
}

#[actix_rt::test]
async fn both_websocket_channels_and_socket_io_refuse_every_bad_credential() {
    let s = Server::start();
    let c = s.client();
    let bad = revoked_credentials(&c).await;
    for path in ["/api/notifications/connect", "/api/ws", "/ws"] {
        for channel in ["", "&channel=town-square"] {
            let bare = ws_url(&s, &format!("{path}?x=1{channel}"));
            assert_eq!(
                Ws::try_open(&bare, None).await.err(),
                Some(401),
                "{path}{channel} without a token"
            );
            for (name, token) in bad.tokens() {
                let url = ws_url(&s, &format!("{path}?token={token}{channel}"));
                assert_eq!(
                    Ws::try_open(&url, None).await.err(),
                    Some(401),
                    "{path}{channel} with {name}"
                );
            }
        }
    }
    let mut auths = vec![("no auth", Value::Null), ("no token", json!({}))];
    for (name, token) in bad.tokens() {
        auths.push((name, json!({ "token": token })));
    }
    auths.push(("token not a string", json!({"token": 42})));
    for (name, auth) in auths {
        match Sio::connect(&s.base, auth).await {
            Connect::Refused(v) => {
                assert_eq!(
                    v["message"], "Authentication error: Invalid token",
                    "{name}"
                )
            }
            Connect::Ok(_) => panic!("Socket.IO accepted {name}"),
        }
    }
}

#[actix_rt::test]
async fn another_agents_inbox_item_notification_and_job_are_out_of_reach() {
    let s = Server::start();
    let c = s.client();
    let (a, b, x) = (
        c.register("owner_a").await,
        c.register("owner_b").await,
        c.register("intruder").await,
    );
    // a writes to b: b has an inbox item and a notification.
    let sent = c
        .mc(
            "POST",
            &format!("/api/agents/{}/message", b.id),
            Some(&a.token),
            Some(json!({"subject": "private", "body": "for b only"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let inbox = c.mc("GET", "/api/inbox", Some(&b.token), None).await;
    let item = inbox.body["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let feed = c
        .mc("GET", "/api/notifications", Some(&b.token), None)
        .await;
    let notif = feed.body["notifications"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // a posts a job.
    let job = c
        .mc("POST", "/api/jobs", Some(&a.token), Some(json!({"title": "Write a haiku", "description": "Seventeen syllables about gateways, please."})))
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let job_id = job.body["job_id"].as_str().unwrap().to_string();

    let cases: Vec<(&str, String, Option<Value>, u16)> = vec![
        (
            "PATCH",
            format!("/api/inbox/{item}"),
            Some(json!({"read": true})),
            404,
        ),
        ("DELETE", format!("/api/inbox/{item}"), None, 404),
        (
            "POST",
            format!("/api/inbox/{item}/read"),
            Some(json!({})),
            404,
        ),
        (
            "PATCH",
            format!("/api/inbox/{item}/read"),
            Some(json!({})),
            404,
        ),
        (
            "POST",
            format!("/api/notifications/{notif}/read"),
            Some(json!({})),
            404,
        ),
        (
            "POST",
            format!("/api/jobs/{job_id}/approve"),
            Some(json!({})),
            403,
        ),
        (
            "POST",
            format!("/api/jobs/{job_id}/cancel"),
            Some(json!({})),
            403,
        ),
        (
            "POST",
            format!("/api/jobs/{job_id}/dispute"),
            Some(json!({"reason": "this work was never delivered to me"})),
            403,
        ),
        (
            "POST",
            format!("/api/jobs/{job_id}/submit"),
            Some(json!({"proof": "https://example.org/haiku"})),
            403,
        ),
    ];
    for (method, path, body, status) in &cases {
        let r = request(
            &c,
            method,
            path,
            Some(&format!("Bearer {}", x.token)),
            body.as_ref(),
        )
        .await;
        assert_refused(&r, *status, &format!("intruder {method} {path}"));
    }
    // Bulk read skips ids that are not the caller's.
    let bulk = c
        .mc(
            "POST",
            "/api/notifications/read",
            Some(&x.token),
            Some(json!({"ids": [notif]})),
        )
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    assert_eq!(bulk.body["marked_count"], 0);
    // The intruder's own views are empty.
    for path in ["/api/inbox", "/api/inbox/sent", "/api/notifications"] {
        let r = c.mc("GET", path, Some(&x.token), None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            !r.body.to_string().contains("for b only"),
            "{path} leaked: {}",
            r.body
        );
    }
    // Nothing changed for the owners.
    let inbox = c.mc("GET", "/api/inbox", Some(&b.token), None).await;
    assert_eq!(inbox.body["messages"][0]["id"], json!(item));
    assert_eq!(
        inbox.body["messages"][0]["read"],
        json!(false),
        "{}",
        inbox.body
    );
    let feed = c
        .mc(
            "GET",
            "/api/notifications?unread=true",
            Some(&b.token),
            None,
        )
        .await;
    assert_eq!(feed.body["unread_count"], json!(1));
    let j = c
        .mc("GET", &format!("/api/jobs/{job_id}"), None, None)
        .await;
    assert_eq!(
        j.body["job"]["status"]
            .as_str()
            .or(j.body["status"].as_str()),
        Some("open"),
        "{}",
        j.body
    );
}

#[actix_rt::test]
async fn another_agents_private_panel_and_session_are_out_of_reach_on_every_wire() {
    let s = Server::start();
    let c = s.client();
    let (a, b, x) = (
        c.register("panel_a").await,
        c.register("panel_b").await,
        c.register("panel_x").await,
    );
    let panel = c
        .call(
            &a,
            "groups/panels/create",
            json!({"groupId": GROUP, "name": "secret-room", "isPublic": false}),
        )
        .await
        .data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sid = c.session(&a, &[&b]).await;
    c.say(&a, &sid, "between a and b").await;
    let claw_cases: Vec<(&str, Value, u16)> = vec![
        (
            "groups/panels/send",
            json!({"panelId": panel, "content": "hi"}),
            403,
        ),
        ("groups/panels/messages", json!({"panelId": panel}), 403),
        (
            "groups/panels/modify",
            json!({"panelId": panel, "name": "taken"}),
            403,
        ),
        ("groups/panels/delete", json!({"panelId": panel}), 403),
    ];
    for (verb, body, status) in claw_cases {
        let r = c.call(&x, verb, body).await;
        r.error(status);
        assert!(r.body.get("data").is_none(), "{verb}: {}", r.body);
    }
    // Socket.IO: every subscription path refuses, and nothing is pushed afterwards.
    let mut sio = Sio::with_token(&s.base, &x.token).await;
    let warm = sio
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [sid], "cursors": {sid.clone(): 0}}),
        )
        .await;
    assert_eq!(warm["result"], true, "{warm}");
    assert_eq!(warm["data"]["sessions"][0]["events"], json!([]), "{warm}");
    for (event, arg) in [
        ("session:subscribe", json!({"sessionId": sid})),
        ("panel:subscribe", json!({"panelId": panel})),
    ] {
        let r = sio.call(event, arg).await;
        assert_eq!(r["result"], false, "{event}: {r}");
    }
    let panels = sio
        .call("com.claw.im.subscribePanels", json!({"panelIds": [panel]}))
        .await;
    assert_eq!(panels["result"], true, "{panels}");
    assert_eq!(
        panels["data"]["panelIds"],
        json!([]),
        "a private panel was granted"
    );
    c.say(&a, &sid, "still private").await;
    c.call(
        &a,
        "groups/panels/send",
        json!({"panelId": panel, "content": "panel secret"}),
    )
    .await
    .data();
    let pushed = sio.drain(Duration::from_millis(500)).await;
    let text = format!("{pushed:?}");
    assert!(
        !text.contains("still private") && !text.contains("panel secret"),
        "pushed to an outsider: {text}"
    );
    // The panel is unchanged for its creator.
    let msgs = c
        .call(&a, "groups/panels/messages", json!({"panelId": panel}))
        .await;
    assert_eq!(msgs.data()["messages"].as_array().unwrap().len(), 1);
}
