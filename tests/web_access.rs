//! Who may see what through the web API, and the browser rules: a human's cookie reaches
//! their conversations, their groups' panels, the town square and their agents, nothing else;
//! other origins are refused; the page is served under a strict CSP.

mod common;

use common::web::{cli, Browser};
use common::{Server, GENERAL};
use serde_json::{json, Value};

/// Every web API route that needs a session: (method, path, body).
fn signed_routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "/web/api/me", None),
        ("POST", "/web/api/logout", Some(json!({}))),
        ("POST", "/web/api/logout-all", Some(json!({}))),
        (
            "POST",
            "/web/api/password",
            Some(json!({"current": "x", "password": "yyyyyyyy"})),
        ),
        ("GET", "/web/api/conversations", None),
        ("GET", "/web/api/conversations/x", None),
        ("GET", "/web/api/conversations/x/messages", None),
        (
            "POST",
            "/web/api/conversations/x/messages",
            Some(json!({"content": "hi"})),
        ),
        (
            "POST",
            "/web/api/conversations/x/read",
            Some(json!({"seq": 1})),
        ),
        ("GET", "/web/api/people?q=a", None),
        ("POST", "/web/api/dm", Some(json!({"username": "a"}))),
        ("GET", "/web/api/agents", None),
        ("POST", "/web/api/agents/x/rotate-token", Some(json!({}))),
        ("POST", "/web/api/agents/x/unbind", Some(json!({}))),
        ("GET", "/web/api/admin/stats", None),
        ("GET", "/web/api/admin/agents", None),
        ("POST", "/web/api/admin/agents/x/suspend", Some(json!({}))),
        ("POST", "/web/api/admin/agents/x/resume", Some(json!({}))),
    ]
}

#[actix_rt::test]
async fn every_route_needs_a_live_session() {
    let s = Server::start();
    let mut b = Browser::new(&s);
    for cookie in [None, Some("0".repeat(64)), Some("x".repeat(500))] {
        b.cookie = cookie.clone();
        for (method, path, body) in signed_routes() {
            let r = b.send(method, path, body, &[]).await;
            assert_eq!(
                r.status, 401,
                "{method} {path} with {cookie:?}: {:?}",
                r.body
            );
            assert_eq!(r.body["code"], "unauthenticated", "{method} {path}");
        }
    }
}

#[actix_rt::test]
async fn operator_routes_refuse_everyone_not_made_operator_on_the_command_line() {
    let s = Server::start();
    let c = s.client();
    let agent = c.register("watched").await;
    let mut b = Browser::new(&s);
    b.sign_up("plain@example.com", "Plain").await;
    for path in ["/web/api/admin/stats", "/web/api/admin/agents"] {
        let r = b.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.body["code"], "forbidden");
    }
    let r = b
        .post(
            &format!("/web/api/admin/agents/{}/suspend", agent.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        c.call(&agent, "agents/get", json!({})).await.status,
        200,
        "nothing changed"
    );
    cli(&s.db, &["users", "admin", "plain@example.com"]);
    assert_eq!(b.get("/web/api/me").await.body["isAdmin"], true);
    let stats = b.get("/web/api/admin/stats").await;
    assert_eq!(stats.status, 200);
    assert!(stats.body["connections"]["socketio"].is_u64());
    cli(&s.db, &["users", "admin", "plain@example.com", "--revoke"]);
    assert_eq!(b.get("/web/api/admin/stats").await.status, 403);
}

#[actix_rt::test]
async fn a_human_sees_their_conversations_and_nobody_elses() {
    let s = Server::start();
    let c = s.client();
    let a1 = c.register("agent_one").await;
    let a2 = c.register("agent_two").await;
    // Two owners, each with a DM from their agent.
    let mut links = Vec::new();
    for (a, email) in [(&a1, "one@example.com"), (&a2, "two@example.com")] {
        let r = c
            .call(
                a,
                "agents/bind",
                json!({"email": email, "greeting_msg": "hi"}),
            )
            .await;
        links.push((
            r.data()["converseId"].as_str().unwrap().to_string(),
            common::web::claim_token(r.data()["claimUrl"].as_str().unwrap()),
        ));
    }
    let mut one = Browser::new(&s);
    one.post(
        "/web/api/claim",
        json!({"token": links[0].1, "password": common::web::PASSWORD}),
    )
    .await;
    let mut two = Browser::new(&s);
    two.post(
        "/web/api/claim",
        json!({"token": links[1].1, "password": common::web::PASSWORD}),
    )
    .await;
    let theirs = &links[1].0;
    // An agents-only session and a private panel of the default group.
    let private_session = c.session(&a1, &[&a2]).await;
    let panel = c
        .call(
            &a2,
            "groups/panels/create",
            json!({"name": "secret", "type": 0, "isPublic": false}),
        )
        .await;
    assert_eq!(panel.status, 200, "{:?}", panel.body);
    let private_panel = panel.data()["panel"]["id"]
        .as_str()
        .or_else(|| panel.data()["id"].as_str())
        .or_else(|| panel.data()["_id"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("panel id in {:?}", panel.body));

    for target in [
        theirs.as_str(),
        private_session.as_str(),
        private_panel.as_str(),
    ] {
        let before = two
            .get(&format!("/web/api/conversations/{target}/messages"))
            .await;
        for (method, path, body) in [
            ("GET", format!("/web/api/conversations/{target}"), None),
            (
                "GET",
                format!("/web/api/conversations/{target}/messages"),
                None,
            ),
            (
                "GET",
                format!("/web/api/conversations/{target}/messages?after=0"),
                None,
            ),
            (
                "POST",
                format!("/web/api/conversations/{target}/messages"),
                Some(json!({"content": "intrusion"})),
            ),
            (
                "POST",
                format!("/web/api/conversations/{target}/read"),
                Some(json!({"seq": 5})),
            ),
            (
                "GET",
                format!("/web/api/people?q=a&conversation={target}"),
                None,
            ),
        ] {
            let r = one.send(method, &path, body, &[]).await;
            assert!(
                r.status == 403 || r.status == 404,
                "{method} {path}: {} {:?}",
                r.status,
                r.body
            );
            assert!(r.body.get("messages").is_none(), "no data: {:?}", r.body);
        }
        // Nothing changed for those who may see it.
        if target == theirs {
            let after = two
                .get(&format!("/web/api/conversations/{target}/messages"))
                .await;
            assert_eq!(before.body, after.body);
        }
    }
    let list = one.get("/web/api/conversations").await;
    let ids: Vec<&str> = list.body["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&links[0].0.as_str()));
    assert!(ids.contains(&GENERAL), "the group's public panel");
    for hidden in [
        theirs.as_str(),
        private_session.as_str(),
        private_panel.as_str(),
    ] {
        assert!(!ids.contains(&hidden), "{hidden} listed: {ids:?}");
    }
    // Another human's agent is out of reach.
    for path in [
        format!("/web/api/agents/{}/rotate-token", a2.id),
        format!("/web/api/agents/{}/unbind", a2.id),
    ] {
        assert_eq!(one.post(&path, json!({})).await.status, 404, "{path}");
    }
    assert_eq!(c.call(&a2, "agents/get", json!({})).await.status, 200);
    let mine = one.get("/web/api/agents").await;
    assert_eq!(mine.body["agents"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["agents"][0]["username"], "agent_one");
}

#[actix_rt::test]
async fn requests_from_another_origin_are_refused_and_change_nothing() {
    let s = Server::start();
    let c = s.client();
    let agent = c.register("target_bot").await;
    let r = c
        .call(&agent, "agents/bind", json!({"email": "vic@example.com"}))
        .await;
    let dm = r.data()["converseId"].as_str().unwrap().to_string();
    let mut victim = Browser::new(&s);
    victim
        .post(
            "/web/api/claim",
            json!({"token": common::web::claim_token(r.data()["claimUrl"].as_str().unwrap()), "password": common::web::PASSWORD}),
        )
        .await;
    let path = format!("/web/api/conversations/{dm}/messages");
    for headers in [
        vec![("Origin", "http://evil.example")],
        vec![("Origin", "null")],
    ] {
        let mut forged = Browser {
            client: s.client(),
            origin: headers[0].1.to_string(),
            cookie: victim.cookie.clone(),
        };
        let r = forged
            .send("POST", &path, Some(json!({"content": "forged"})), &[])
            .await;
        assert_eq!(r.status, 403, "{:?}", r.body);
        assert_eq!(r.body["code"], "cross_origin");
        let r = forged.post("/web/api/logout", json!({})).await;
        assert_eq!(r.status, 403);
    }
    // A form post (no Origin in old browsers, but marked cross-site) and a text/plain body.
    let mut no_origin = Browser {
        client: s.client(),
        origin: String::new(),
        cookie: victim.cookie.clone(),
    };
    let r = no_origin
        .send(
            "POST",
            &path,
            Some(json!({"content": "forged"})),
            &[("Sec-Fetch-Site", "cross-site")],
        )
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let mut res = s
        .client()
        .http
        .post(s.url(&path))
        .insert_header((
            "Cookie",
            format!("agentgate_session={}", victim.cookie.clone().unwrap()),
        ))
        .insert_header(("Content-Type", "text/plain"))
        .send_body(r#"{"content":"forged"}"#)
        .await
        .unwrap();
    let r = common::Client::finish_pub(&mut res).await;
    assert_eq!(r.status, 415, "{:?}", r.body);
    let msgs = victim.get(&path).await;
    assert!(
        msgs.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["content"] != "forged"),
        "{:?}",
        msgs.body
    );
    assert_eq!(
        victim.get("/web/api/me").await.status,
        200,
        "still signed in"
    );
}

#[actix_rt::test]
async fn the_page_is_served_under_a_strict_policy() {
    let s = Server::start();
    let c = s.client();
    let mut res = c.http.get(s.url("/")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let h = res.headers().clone();
    let body = res.body().await.unwrap();
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    let html = String::from_utf8_lossy(&body);
    assert!(html.contains("/assets/app.js"), "the page loads its script");
    assert!(!html.contains("<script>"), "no inline script");
    // Every file the page names is embedded and served, and every module the modules import.
    let mut names: Vec<String> = html
        .split("/assets/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    let mut i = 0;
    while i < names.len() {
        let asset = format!("/assets/{}", names[i]);
        let mut r = c.http.get(s.url(&asset)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{asset}");
        let body = r.body().await.unwrap();
        assert!(!body.is_empty(), "{asset} is embedded");
        for import in String::from_utf8_lossy(&body).split("from './").skip(1) {
            let name = import.split('\'').next().unwrap().to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        i += 1;
    }
    let r = c.get("/assets/nothing.js").await;
    assert_eq!(r.status, 404);
    // The wires keep their space.
    assert_eq!(c.get("/api/claw/agents/get").await.status, 405);
}

#[actix_rt::test]
async fn a_humans_changes_count_against_the_per_user_rate_limit_and_reads_do_not() {
    let s = Server::start_with(&[("AGENTGATE_RATE_LIMIT_PER_MIN", "3")]);
    let c = s.client();
    let agent = c.register("limited_bot").await;
    let mut b = Browser::new(&s);
    b.sign_up("busy@example.com", "Busy").await;
    let dm = b
        .post("/web/api/dm", json!({"username": agent.username}))
        .await
        .body["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/web/api/conversations/{dm}/messages");
    for i in 0..2 {
        let r = b
            .post(&path, json!({"content": format!("message {i}")}))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let r = b.post(&path, json!({"content": "one too many"})).await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert_eq!(r.body["code"], "throttled");
    assert!(r.header("retry-after").is_some());
    for _ in 0..5 {
        assert_eq!(b.get(&path).await.status, 200, "reads are not limited");
    }
    let msgs = b.get(&path).await;
    assert_eq!(
        msgs.body["messages"].as_array().unwrap().len(),
        2,
        "nothing of the refused one"
    );
}
