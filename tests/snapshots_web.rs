//! Snapshots of every answer of the web client's API (`/web/api/*`), as the browser receives
//! it: successes and the main error shapes. Ids, tokens, links and times are replaced by their
//! key's name, so a snapshot changes only when the wire does.

mod common;

use common::web::{cli, Browser, PASSWORD};
use common::{Resp, Server};
use serde_json::{json, Map, Value};

/// Keys whose values differ from run to run.
fn is_dynamic(key: &str) -> bool {
    key == "id"
        || key.ends_with("Id")
        || key.ends_with("At")
        || matches!(
            key,
            "token" | "claimUrl" | "publicUrl" | "lastSeen" | "timestamp"
        )
}

/// The answer with every dynamic value replaced by `[key]` (null stays null).
fn stable(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let shown = if is_dynamic(k) && !x.is_null() && !x.is_object() {
                        Value::String(format!("[{k}]"))
                    } else {
                        stable(x)
                    };
                    (k.clone(), shown)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(stable).collect()),
        other => other.clone(),
    }
}

/// The status and the stable body of an answer.
fn shown(r: &Resp) -> Value {
    json!({ "status": r.status, "body": stable(&r.body) })
}

macro_rules! snap {
    ($name:expr, $resp:expr) => {
        insta::assert_json_snapshot!($name, shown(&$resp))
    };
}

#[actix_rt::test]
async fn accounts_and_sessions() {
    let s = Server::start();
    let mut anon = Browser::new(&s);
    snap!("web_config", anon.get("/web/api/config").await);
    snap!("web_me_signed_out", anon.get("/web/api/me").await);
    snap!(
        "web_signup_bad_email",
        anon.post(
            "/web/api/signup",
            json!({"email": "nope", "password": PASSWORD, "displayName": "Ann"})
        )
        .await
    );
    snap!(
        "web_signup_short_password",
        anon.post(
            "/web/api/signup",
            json!({"email": "ann@example.com", "password": "short", "displayName": "Ann"})
        )
        .await
    );
    let mut ann = Browser::new(&s);
    let signed_up = ann
        .post(
            "/web/api/signup",
            json!({"email": "ann@example.com", "password": PASSWORD, "displayName": "Ann"}),
        )
        .await;
    snap!("web_signup", signed_up);
    snap!(
        "web_signup_taken",
        anon.post(
            "/web/api/signup",
            json!({"email": "ann@example.com", "password": PASSWORD, "displayName": "Ann"})
        )
        .await
    );
    snap!("web_me", ann.get("/web/api/me").await);
    snap!(
        "web_login_wrong_password",
        anon.log_in("ann@example.com", "wrong password!").await
    );
    snap!("web_login", anon.log_in("ann@example.com", PASSWORD).await);
    snap!(
        "web_password_wrong_current",
        ann.post(
            "/web/api/password",
            json!({"current": "not it at all", "password": "another long one"})
        )
        .await
    );
    snap!(
        "web_password",
        ann.post(
            "/web/api/password",
            json!({"current": PASSWORD, "password": "another long one"})
        )
        .await
    );
    snap!(
        "web_claim_inspect_invalid",
        anon.post("/web/api/claim/inspect", json!({"token": "0".repeat(64)}))
            .await
    );
    snap!(
        "web_claim_invalid",
        anon.post(
            "/web/api/claim",
            json!({"token": "0".repeat(64), "password": PASSWORD})
        )
        .await
    );
    let mut foreign = Browser::new(&s);
    foreign.origin = "https://elsewhere.example".into();
    foreign.cookie = ann.cookie.clone();
    snap!(
        "web_cross_origin",
        foreign.post("/web/api/logout", json!({})).await
    );
    snap!(
        "web_not_json",
        ann.send(
            "POST",
            "/web/api/logout",
            None,
            &[("Content-Type", "text/plain")]
        )
        .await
    );
    snap!("web_unknown_route", ann.get("/web/api/nothing-here").await);
    snap!(
        "web_logout_all",
        ann.post("/web/api/logout-all", json!({})).await
    );
    snap!("web_me_after_logout", ann.get("/web/api/me").await);
}

#[actix_rt::test]
async fn conversations_people_agents_and_operators() {
    let s = Server::start();
    let c = s.client();
    let mut ann = Browser::new(&s);
    ann.sign_up("ann@example.com", "Ann").await;
    let bot = c.register("annbot").await;
    let other = c.register("otherbot").await;
    let bind = c
        .call(&bot, "agents/bind", json!({"email": "ann@example.com"}))
        .await;
    assert_eq!(bind.status, 200, "{:?}", bind.body);

    let list = ann.get("/web/api/conversations").await;
    snap!("web_conversations", list);
    let dm = list.body["conversations"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["kind"] == "dm"))
        .map(|c| c["id"].as_str().unwrap_or_default().to_string())
        .expect("the bind greeting's DM");
    snap!(
        "web_conversation",
        ann.get(&format!("/web/api/conversations/{dm}")).await
    );
    snap!(
        "web_conversation_unknown",
        ann.get("/web/api/conversations/000000000000000000000000")
            .await
    );
    snap!(
        "web_post",
        ann.post(
            &format!("/web/api/conversations/{dm}/messages"),
            json!({"content": "hello @annbot"})
        )
        .await
    );
    snap!(
        "web_post_empty",
        ann.post(
            &format!("/web/api/conversations/{dm}/messages"),
            json!({"content": ""})
        )
        .await
    );
    snap!(
        "web_messages",
        ann.get(&format!("/web/api/conversations/{dm}/messages?limit=10"))
            .await
    );
    snap!(
        "web_messages_bad_limit",
        ann.get(&format!("/web/api/conversations/{dm}/messages?limit=0"))
            .await
    );
    snap!(
        "web_read",
        ann.post(
            &format!("/web/api/conversations/{dm}/read"),
            json!({"seq": 1})
        )
        .await
    );
    snap!("web_people", ann.get("/web/api/people?q=oth").await);
    snap!(
        "web_dm",
        ann.post("/web/api/dm", json!({"username": "otherbot"}))
            .await
    );
    snap!(
        "web_dm_unknown",
        ann.post("/web/api/dm", json!({"username": "nobody-here"}))
            .await
    );
    snap!("web_agents", ann.get("/web/api/agents").await);
    snap!(
        "web_rotate_not_owned",
        ann.post(
            &format!("/web/api/agents/{}/rotate-token", other.id),
            json!({})
        )
        .await
    );
    snap!(
        "web_rotate",
        ann.post(
            &format!("/web/api/agents/{}/rotate-token", bot.id),
            json!({})
        )
        .await
    );
    snap!(
        "web_admin_forbidden",
        ann.get("/web/api/admin/agents").await
    );
    cli(&s.db, &["users", "admin", "ann@example.com"]);
    snap!("web_admin_agents", ann.get("/web/api/admin/agents").await);
    snap!(
        "web_suspend",
        ann.post(
            &format!("/web/api/admin/agents/{}/suspend", other.id),
            json!({})
        )
        .await
    );
    snap!(
        "web_resume",
        ann.post(
            &format!("/web/api/admin/agents/{}/resume", other.id),
            json!({})
        )
        .await
    );
    snap!(
        "web_unbind",
        ann.post(&format!("/web/api/agents/{}/unbind", bot.id), json!({}))
            .await
    );
    snap!("web_logout", ann.post("/web/api/logout", json!({})).await);
}
