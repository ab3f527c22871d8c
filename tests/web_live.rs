//! The browser live channel and the human's side of a conversation, against the real server:
//! messages both ways, unread counts and read marks, history pages and the catch-up after a
//! reconnect, replies and mentions, session end closing the socket, the operator suspending an
//! agent.

mod common;

use std::time::Duration;

use common::mc_ws::{ws_url, Ws};
use common::web::{claim_token, cli, Browser, PASSWORD};
use common::Server;
use serde_json::{json, Value};

/// An owner signed in through their claim link, the agent and their DM's id.
async fn owner_with_agent(
    s: &Server,
    username: &str,
    email: &str,
) -> (Browser, common::Agent, String) {
    let c = s.client();
    let agent = c.register(username).await;
    let r = c
        .call(
            &agent,
            "agents/bind",
            json!({"email": email, "greeting_msg": "greetings"}),
        )
        .await;
    let dm = r.data()["converseId"].as_str().unwrap().to_string();
    let mut b = Browser::new(s);
    let r = b
        .post(
            "/web/api/claim",
            json!({"token": claim_token(r.data()["claimUrl"].as_str().unwrap()), "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    (b, agent, dm)
}

async fn live(s: &Server, b: &Browser) -> Ws {
    let cookie = format!("agentgate_session={}", b.cookie.clone().unwrap());
    let mut ws = Ws::try_open_with(
        &ws_url(s, "/web/live"),
        &[("Cookie", &cookie), ("Origin", &s.base)],
    )
    .await
    .expect("live channel");
    let ready = ws.json().await;
    assert_eq!(ready["type"], "ready", "{ready}");
    ws
}

#[actix_rt::test]
async fn messages_flow_both_ways_live_with_their_authors() {
    let s = Server::start();
    let c = s.client();
    let (mut owner, agent, dm) = owner_with_agent(&s, "pal", "o@example.com").await;
    let mut ws = live(&s, &owner).await;

    // Agent → human, live.
    let sent = c.say(&agent, &dm, "How can I help?").await;
    let ev = ws.json().await;
    assert_eq!(ev["type"], "message", "{ev}");
    assert_eq!(ev["message"]["content"], "How can I help?");
    assert_eq!(ev["message"]["author"]["username"], "pal");
    assert_eq!(ev["message"]["author"]["kind"], "agent");
    assert_eq!(ev["message"]["seq"], 2);
    assert_eq!(
        ev["message"]["id"], sent["messageId"],
        "the message the agent sent"
    );

    // Human → agent: a reply with a mention, read back over the claw API with the right sender.
    let quoted = ev["message"]["id"].as_str().unwrap().to_string();
    let r = owner
        .post(
            &format!("/web/api/conversations/{dm}/messages"),
            json!({"content": "@pal summarize my day", "replyTo": quoted}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["seq"], 3);
    assert_eq!(r.body["mentions"], json!(["pal"]));
    assert_eq!(r.body["replyTo"]["content"], "How can I help?");
    assert_eq!(r.body["replyTo"]["authorName"], "pal display");
    assert_eq!(r.body["author"]["kind"], "human");
    let echo = ws.json().await;
    assert_eq!(echo["message"]["seq"], 3, "the human's own tab updates too");
    assert_eq!(echo["message"]["replyTo"]["id"], quoted.as_str());
    let hist = c
        .call(
            &agent,
            "sessions/messages",
            json!({"sessionId": dm, "limit": 10}),
        )
        .await;
    let text = hist.body.to_string();
    assert!(text.contains("@pal summarize my day"), "{text}");
    let owner_id = owner.get("/web/api/me").await.body["id"].clone();
    assert!(
        text.contains(owner_id.as_str().unwrap()),
        "sender is the human: {text}"
    );

    // Bad input changes nothing.
    for (body, status) in [
        (json!({"content": "   "}), 400),
        (json!({"content": "x".repeat(10_001)}), 413),
        (json!({"text": "wrong field"}), 400),
    ] {
        let r = owner
            .post(&format!("/web/api/conversations/{dm}/messages"), body)
            .await;
        assert_eq!(r.status, status, "{:?}", r.body);
    }
    ws.quiet().await;
    assert_eq!(ws.ping().await["type"], "pong");
}

#[actix_rt::test]
async fn unread_counts_history_pages_and_the_catch_up_after_a_reconnect() {
    let s = Server::start();
    let c = s.client();
    let (mut owner, agent, dm) = owner_with_agent(&s, "chatty", "h@example.com").await;
    for i in 1..=7 {
        c.say(&agent, &dm, &format!("note {i}")).await;
    }
    let list = owner.get("/web/api/conversations").await;
    let entry = list.body["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == dm.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["unread"], 8, "greeting + 7");
    assert_eq!(entry["lastMessage"]["content"], "note 7");
    assert_eq!(entry["peer"]["online"], false);

    // Newest page first, then the one before it, each oldest first.
    let p1 = owner
        .get(&format!("/web/api/conversations/{dm}/messages?limit=5"))
        .await;
    let seqs = |p: &Value| -> Vec<i64> {
        p["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(seqs(&p1.body), vec![4, 5, 6, 7, 8]);
    assert_eq!(p1.body["hasMore"], true);
    let p2 = owner
        .get(&format!(
            "/web/api/conversations/{dm}/messages?limit=5&before=4"
        ))
        .await;
    assert_eq!(seqs(&p2.body), vec![1, 2, 3]);
    assert_eq!(p2.body["hasMore"], false);
    let bad = owner
        .get(&format!("/web/api/conversations/{dm}/messages?limit=500"))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["field"], "limit");

    // Read up to 6 (a mark beyond the newest is held at the newest).
    let r = owner
        .post(
            &format!("/web/api/conversations/{dm}/read"),
            json!({"seq": 6}),
        )
        .await;
    assert_eq!(r.status, 204);
    let one = owner.get(&format!("/web/api/conversations/{dm}")).await;
    assert_eq!(one.body["conversation"]["unread"], 2);
    assert_eq!(one.body["conversation"]["readSeq"], 6);
    owner
        .post(
            &format!("/web/api/conversations/{dm}/read"),
            json!({"seq": 3}),
        )
        .await;
    let one = owner.get(&format!("/web/api/conversations/{dm}")).await;
    assert_eq!(one.body["conversation"]["readSeq"], 6, "never backwards");
    assert_eq!(one.body["members"].as_array().unwrap().len(), 2);

    // The page was away for seqs 9 and 10: after `ready` it asks for everything after 8.
    let mut ws = live(&s, &owner).await;
    drop(ws);
    c.say(&agent, &dm, "while you were away").await;
    c.say(&agent, &dm, "and this too").await;
    ws = live(&s, &owner).await;
    let caught = owner
        .get(&format!("/web/api/conversations/{dm}/messages?after=8"))
        .await;
    assert_eq!(seqs(&caught.body), vec![9, 10]);
    c.say(&agent, &dm, "now live").await;
    assert_eq!(ws.json().await["message"]["seq"], 11);
}

#[actix_rt::test]
async fn the_live_channel_refuses_strangers_and_ends_with_the_session() {
    let s = Server::start();
    let (mut owner, _agent, _dm) = owner_with_agent(&s, "guard", "g@example.com").await;
    let url = ws_url(&s, "/web/live");
    assert_eq!(
        Ws::try_open_with(&url, &[("Origin", &s.base)]).await.err(),
        Some(401)
    );
    let cookie = format!("agentgate_session={}", owner.cookie.clone().unwrap());
    assert_eq!(
        Ws::try_open_with(
            &url,
            &[("Cookie", &cookie), ("Origin", "http://evil.example")]
        )
        .await
        .err(),
        Some(403),
        "cross-site WebSocket hijacking"
    );
    let mut ws = live(&s, &owner).await;
    assert_eq!(owner.post("/web/api/logout", json!({})).await.status, 204);
    let (code, reason) = ws.close_frame(Duration::from_secs(5)).await;
    assert_eq!(code, 4401, "{reason}");
}

#[actix_rt::test]
async fn humans_start_dms_and_find_people_to_mention() {
    let s = Server::start();
    let c = s.client();
    c.register("helper_bot").await;
    c.register("helpful_two").await;
    let mut b = Browser::new(&s);
    b.sign_up("m@example.com", "Mia").await;
    let found = b.get("/web/api/people?q=@HELP").await;
    let names: Vec<&str> = found.body["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["helper_bot", "helpful_two"]);
    let wild = b.get("/web/api/people?q=%25").await;
    assert_eq!(wild.body["people"], json!([]), "LIKE wildcards are literal");
    let r = b
        .post("/web/api/dm", json!({"username": "helper_bot"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["conversation"]["kind"], "dm");
    assert_eq!(r.body["conversation"]["peer"]["username"], "helper_bot");
    let again = b
        .post("/web/api/dm", json!({"username": "helper_bot"}))
        .await;
    assert_eq!(
        again.body["conversation"]["id"],
        r.body["conversation"]["id"]
    );
    let none = b
        .post("/web/api/dm", json!({"username": "nobody_here"}))
        .await;
    assert!(none.status == 404 || none.status == 400, "{:?}", none.body);
}

#[actix_rt::test]
async fn owners_rotate_and_unbind_and_operators_suspend() {
    let s = Server::start();
    let c = s.client();
    let (mut owner, agent, _dm) = owner_with_agent(&s, "leaky", "l@example.com").await;
    let mine = owner.get("/web/api/agents").await;
    assert_eq!(mine.body["agents"][0]["id"], agent.id.as_str());
    assert_eq!(mine.body["agents"][0]["suspended"], false);

    // A socket on the old token closes when the token is rotated.
    let (mut mc, _) = Ws::personal(&s, &agent).await;
    let r = owner
        .post(
            &format!("/web/api/agents/{}/rotate-token", agent.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let token = r.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("claw_"));
    assert_eq!(mc.close_frame(Duration::from_secs(5)).await.0, 1008);
    assert_eq!(c.call(&agent, "agents/get", json!({})).await.status, 401);
    let agent = common::Agent { token, ..agent };
    assert_eq!(c.call(&agent, "agents/get", json!({})).await.status, 200);

    // The operator suspends it: its token stops working, its socket closes; resume undoes it.
    let mut op = Browser::new(&s);
    op.sign_up("op@example.com", "Op").await;
    cli(&s.db, &["users", "admin", "op@example.com"]);
    let (mut mc, _) = Ws::personal(&s, &agent).await;
    let listed = op.get("/web/api/admin/agents").await;
    let row = listed.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == agent.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["online"], true);
    assert_eq!(row["ownerEmail"], "l@example.com");
    let r = op
        .post(
            &format!("/web/api/admin/agents/{}/suspend", agent.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(mc.close_frame(Duration::from_secs(5)).await.0, 1008);
    let refused = c.call(&agent, "agents/get", json!({})).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.to_string().contains("suspended"),
        "{:?}",
        refused.body
    );
    assert_eq!(
        owner.get("/web/api/agents").await.body["agents"][0]["suspended"],
        true
    );
    let r = op
        .post(
            &format!("/web/api/admin/agents/{}/resume", agent.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(c.call(&agent, "agents/get", json!({})).await.status, 200);
    assert_eq!(
        op.post(
            &format!("/web/api/admin/agents/{}/resume", agent.id),
            json!({})
        )
        .await
        .status,
        404,
        "not suspended any more"
    );

    let r = owner
        .post(&format!("/web/api/agents/{}/unbind", agent.id), json!({}))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(owner.get("/web/api/agents").await.body["agents"], json!([]));
    let r = c.call(&agent, "agents/owner", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.to_string().contains("null") || r.data().is_null(),
        "{:?}",
        r.body
    );
}
