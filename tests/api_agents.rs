//! `agents/*`, `users/resolve` and `/health` over real HTTP.

mod common;

use common::{Server, GROUP};
use serde_json::json;

#[actix_rt::test]
async fn health_is_unwrapped_and_counts_no_one_at_start() {
    let s = Server::start();
    let r = s.client().get("/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["connectedUsers"], 0);
    let ts = r.body["timestamp"].as_str().unwrap();
    assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
    assert!(r.body.get("success").is_none(), "not wrapped: {}", r.body);
}

#[actix_rt::test]
async fn self_register_with_the_seed_body_returns_every_field() {
    let s = Server::start();
    let c = s.client();
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"username": "my_assistant_agent", "email": "agent@mycompany.com", "displayName": "My Assistant Agent"}),
        )
        .await;
    let d = r.data();
    let token = d["token"].as_str().unwrap();
    assert!(token.starts_with("claw_") && token.len() == 53, "{token}");
    assert!(token[5..].chars().all(|c| c.is_ascii_hexdigit()));
    let id = d["botUserId"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    assert_eq!(d["userId"], id);
    assert_eq!(d["agentId"], "my_assistant_agent");
    assert_eq!(d["username"], "my_assistant_agent");
    assert_eq!(d["displayName"], "My Assistant Agent");
    assert_eq!(d["workspaceId"], "agentgate");
    assert_eq!(d["groupId"], GROUP);
}

#[actix_rt::test]
async fn self_register_with_the_real_body_derives_a_username() {
    let s = Server::start();
    let c = s.client();
    let d = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"name": "Nano Bot!", "avatar": "https://x/a.png", "metadata": {"k": 1}}),
        )
        .await;
    let d = d.data();
    assert_eq!(d["username"], "Nano_Bot");
    assert_eq!(d["displayName"], "Nano Bot!");
    // The same name again gets a distinct username.
    let d2 = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"name": "Nano Bot!"}),
        )
        .await;
    let u2 = d2.data()["username"].as_str().unwrap().to_string();
    assert!(u2.starts_with("Nano_Bot_") && u2 != "Nano_Bot", "{u2}");
    // Nothing at all still registers (every real field is optional).
    let d3 = c.post_empty("/api/claw/agents/selfRegister", None).await;
    assert!(d3.data()["username"].as_str().unwrap().starts_with("agent"));
}

#[actix_rt::test]
async fn self_register_errors_match_the_guide_table_and_change_nothing() {
    let s = Server::start();
    let c = s.client();
    c.post(
        "/api/claw/agents/selfRegister",
        None,
        json!({"username": "taken_name", "email": "one@x.io"}),
    )
    .await
    .data();
    let cases = [
        (
            json!({"username": "TAKEN_NAME"}),
            409,
            "Username already exists",
        ),
        (
            json!({"username": "fresh_name", "email": "ONE@x.io"}),
            409,
            "Email already registered",
        ),
        (
            json!({"username": "bad name!"}),
            400,
            "Invalid username format",
        ),
        (json!({"username": "ab"}), 400, "Invalid username format"),
        (
            json!({"username": "x".repeat(51)}),
            400,
            "Invalid username format",
        ),
        (
            json!({"email": "two@x.io", "displayName": "No Username"}),
            400,
            "Missing required fields",
        ),
        (json!({"username": ""}), 400, "Missing required fields"),
        (
            json!({"username": "fresh_name", "email": "not-an-email"}),
            400,
            "Invalid email format",
        ),
        (json!({"username": 42}), 400, "username"),
    ];
    for (body, status, msg) in cases {
        let r = c
            .post("/api/claw/agents/selfRegister", None, body.clone())
            .await;
        let m = r.error(status);
        assert!(m.contains(msg), "{body}: {m}");
    }
    // None of the failures registered anything: the names are still free.
    c.post(
        "/api/claw/agents/selfRegister",
        None,
        json!({"username": "fresh_name", "email": "two@x.io"}),
    )
    .await
    .data();
}

#[actix_rt::test]
async fn bind_creates_the_owner_and_dm_and_is_idempotent() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("binder").await;
    let r = c
        .call(
            &a,
            "agents/bind",
            json!({"email": "owner@company.com", "greeting_msg": "Hello! I'm your new assistant."}),
        )
        .await;
    assert_eq!(r.body["success"], true);
    let d = r.data().clone();
    assert_eq!(d["success"], true);
    let owner = d["ownerUserId"].as_str().unwrap().to_string();
    let sid = d["sessionId"].as_str().unwrap().to_string();
    assert_eq!(
        sid,
        format!("session_{}", d["converseId"].as_str().unwrap())
    );
    // The greeting is the first message, from the agent.
    let h = c
        .call(&a, "sessions/messages", json!({"sessionId": sid}))
        .await;
    let msgs = h.data()["messages"].as_array().unwrap().clone();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["content"], "Hello! I'm your new assistant.");
    assert_eq!(msgs[0]["author"], a.id);
    // Again, same email: same owner and session, no second greeting.
    let again = c
        .call(
            &a,
            "agents/bind",
            json!({"email": "OWNER@company.com", "greeting_msg": "Hello again"}),
        )
        .await;
    assert_eq!(again.data()["ownerUserId"], owner);
    assert_eq!(again.data()["sessionId"], sid);
    let h = c
        .call(&a, "sessions/messages", json!({"sessionId": sid}))
        .await;
    assert_eq!(h.data()["messages"].as_array().unwrap().len(), 1);
    // A different owner while bound is a conflict.
    let m = c
        .call(&a, "agents/bind", json!({"email": "other@company.com"}))
        .await
        .error(409);
    assert!(m.contains("already bound"), "{m}");
    // Owner lookup.
    let o = c.call(&a, "agents/owner", json!({})).await;
    assert_eq!(o.data()["owner"]["userId"], owner);
    assert_eq!(o.data()["owner"]["email"], "owner@company.com");
    assert_eq!(o.data()["owner"]["nickname"], "owner");
}

#[actix_rt::test]
async fn bind_validates_and_refuses_agents_as_owners() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("binder_two").await;
    c.post(
        "/api/claw/agents/selfRegister",
        None,
        json!({"username": "other_agent", "email": "agent@x.io"}),
    )
    .await
    .data();
    assert!(c
        .call(&a, "agents/bind", json!({}))
        .await
        .error(400)
        .contains("email"));
    assert!(c
        .call(&a, "agents/bind", json!({"email": "nope"}))
        .await
        .error(400)
        .contains("email"));
    c.call(&a, "agents/bind", json!({"email": "agent@x.io"}))
        .await
        .error(409);
    assert_eq!(
        c.call(&a, "agents/owner", json!({})).await.data()["owner"],
        json!(null)
    );
    c.post("/api/claw/agents/bind", None, json!({"email": "a@b.co"}))
        .await
        .error(401);
}

#[actix_rt::test]
async fn get_returns_the_profile_and_checks_the_token() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("profiled").await;
    let r = c.post_empty("/api/claw/agents/get", Some(&a.token)).await;
    let d = r.data();
    assert_eq!(d["botUserId"], a.id);
    assert_eq!(d["username"], "profiled");
    assert_eq!(d["displayName"], "profiled display");
    assert_eq!(d["groupId"], GROUP);
    assert_eq!(d["ownerUserId"], json!(null));
    assert!(c
        .post_empty("/api/claw/agents/get", None)
        .await
        .error(401)
        .contains("X-Claw-Token"));
    c.post_empty(
        "/api/claw/agents/get",
        Some("claw_000000000000000000000000000000000000000000000000"),
    )
    .await
    .error(401);
}

#[actix_rt::test]
async fn rotate_token_invalidates_the_old_token_at_once() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("rotator").await;
    let r = c
        .post_empty("/api/claw/agents/rotateToken", Some(&a.token))
        .await;
    let d = r.data().clone();
    assert_eq!(d["botUserId"], a.id);
    let fresh = d["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, a.token);
    c.post_empty("/api/claw/agents/get", Some(&a.token))
        .await
        .error(401);
    assert_eq!(
        c.post_empty("/api/claw/agents/get", Some(&fresh))
            .await
            .data()["botUserId"],
        a.id
    );
    // The README form names the agent; naming another is refused and changes nothing.
    let b = c.register("someone_else").await;
    c.post(
        "/api/claw/agents/rotateToken",
        Some(&fresh),
        json!({"botUserId": b.id}),
    )
    .await
    .error(403);
    let again = c
        .post(
            "/api/claw/agents/rotateToken",
            Some(&fresh),
            json!({"botUserId": a.id}),
        )
        .await;
    assert!(again.data()["token"].as_str().unwrap().starts_with("claw_"));
    c.post_empty("/api/claw/agents/get", Some(&fresh))
        .await
        .error(401);
}

#[actix_rt::test]
async fn users_resolve_returns_the_seed_array_with_both_key_sets() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("resolver").await;
    let b = c.register("resolved").await;
    let bind = c
        .call(&a, "agents/bind", json!({"email": "boss@x.io"}))
        .await;
    let owner = bind.data()["ownerUserId"].as_str().unwrap().to_string();
    let r = c
        .call(
            &a,
            "users/resolve",
            json!({"userIds": [b.id, "000000000000000000000000", owner, b.id]}),
        )
        .await;
    let list = r.data().as_array().unwrap().clone();
    assert_eq!(
        list.len(),
        2,
        "unknown ids left out, duplicates once: {list:?}"
    );
    assert_eq!(list[0]["id"], b.id);
    assert_eq!(list[0]["userId"], b.id);
    assert_eq!(list[0]["username"], "resolved");
    assert_eq!(list[0]["displayName"], "resolved display");
    assert_eq!(list[0]["nickname"], "resolved display");
    assert_eq!(list[0]["type"], "agent");
    assert_eq!(list[1]["id"], owner);
    assert_eq!(list[1]["type"], "user");
    assert_eq!(
        list[1]["email"], "boss@x.io",
        "an agent sees its owner's email"
    );
    assert!(c
        .call(&a, "users/resolve", json!({}))
        .await
        .error(400)
        .contains("userIds"));
    c.call(&a, "users/resolve", json!({"userIds": "abc"}))
        .await
        .error(400);
    let many: Vec<String> = (0..101).map(|i| format!("{i:024}")).collect();
    assert!(c
        .call(&a, "users/resolve", json!({"userIds": many}))
        .await
        .error(413)
        .contains("100"));
}
