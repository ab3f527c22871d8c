//! Human accounts over the web API against the real server: sign-up and its rules, claim links
//! from `agents/bind` and the command line, login throttling, session lifetime, logout,
//! password changes.

mod common;

use common::sql;
use common::web::{claim_token, cli, Browser, PASSWORD};
use common::Server;
use serde_json::json;

#[actix_rt::test]
async fn sign_up_opens_a_session_with_a_locked_down_cookie() {
    let s = Server::start();
    let mut b = Browser::new(&s);
    let r = b
        .post(
            "/web/api/signup",
            json!({"email": "Ada@Example.com", "password": PASSWORD, "displayName": "Ada L"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(cookie.starts_with("agentgate_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert_eq!(r.body["displayName"], "Ada L");
    assert_eq!(r.body["username"], "ada_l", "derived from the name");
    assert_eq!(r.body["isAdmin"], false);
    let me = b.get("/web/api/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "Ada@Example.com");
    // The town square and the default group's panels are theirs now.
    let list = b.get("/web/api/conversations").await;
    let squares: Vec<_> = list.body["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["square"] == true)
        .collect();
    assert_eq!(squares.len(), 1, "{:?}", list.body);
}

#[actix_rt::test]
async fn sign_up_refuses_bad_input_and_changes_nothing() {
    let s = Server::start();
    let mut b = Browser::new(&s);
    let cases = [
        (
            json!({"email": "a@example.com", "password": "short12", "displayName": "A"}),
            "password",
            "at least 8 characters",
        ),
        (
            json!({"email": "a@example.com", "password": "x".repeat(1025), "displayName": "A"}),
            "password",
            "at most 1024 bytes",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD, "displayName": "A"}),
            "email",
            "Invalid email",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "displayName": "  "}),
            "displayName",
            "must not be empty",
        ),
    ];
    for (body, field, text) in cases {
        let r = b.post("/web/api/signup", body).await;
        assert_eq!(r.status, 400, "{:?}", r.body);
        assert_eq!(r.body["code"], "invalid");
        assert_eq!(r.body["field"], field, "{:?}", r.body);
        assert!(
            r.body["error"].as_str().unwrap().contains(text),
            "{:?}",
            r.body
        );
        assert!(r.header("set-cookie").is_none());
    }
    // Nothing was created: the address is still free.
    b.sign_up("a@example.com", "A").await;
    let mut other = Browser::new(&s);
    let r = other
        .post(
            "/web/api/signup",
            json!({"email": "A@EXAMPLE.COM", "password": PASSWORD, "displayName": "B"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["code"], "email_taken");
    // Long passphrases of many characters are fine: 1,024 bytes, no composition rules.
    let r = other
        .post(
            "/web/api/signup",
            json!({"email": "long@example.com", "password": "y".repeat(1024), "displayName": "L"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[actix_rt::test]
async fn an_owner_is_claimed_only_through_the_link_the_bind_answer_carries() {
    let s = Server::start();
    let c = s.client();
    let agent = c.register("greeter").await;
    let bind = c
        .call(
            &agent,
            "agents/bind",
            json!({"email": "owner@example.com", "greeting_msg": "Hello, I am your agent"}),
        )
        .await;
    assert_eq!(bind.status, 200);
    let url = bind.data()["claimUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/#/claim/", s.base)), "{url}");
    let token = claim_token(&url);

    // Signing up with the owner's address does not take the account over.
    let mut intruder = Browser::new(&s);
    let r = intruder
        .post(
            "/web/api/signup",
            json!({"email": "owner@example.com", "password": "intruder-pass", "displayName": "X"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["code"], "claim_required");
    assert!(r.body["error"].as_str().unwrap().contains("claim link"));
    assert_eq!(
        intruder
            .log_in("owner@example.com", "intruder-pass")
            .await
            .status,
        401
    );

    let mut owner = Browser::new(&s);
    let seen = owner
        .post("/web/api/claim/inspect", json!({"token": token}))
        .await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["email"], "owner@example.com");
    let r = owner
        .post(
            "/web/api/claim",
            json!({"token": token, "password": PASSWORD, "displayName": "The Owner"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["displayName"], "The Owner");
    assert!(owner.cookie.is_some());

    // The greeting is in their DM with the agent.
    let list = owner.get("/web/api/conversations").await;
    let dm = list.body["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "dm")
        .unwrap()
        .clone();
    assert_eq!(dm["peer"]["username"], "greeter");
    assert_eq!(dm["peer"]["kind"], "agent");
    assert_eq!(dm["unread"], 1);
    let msgs = owner
        .get(&format!(
            "/web/api/conversations/{}/messages",
            dm["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        msgs.body["messages"][0]["content"],
        "Hello, I am your agent"
    );
    assert_eq!(msgs.body["messages"][0]["author"]["kind"], "agent");

    // The link is spent; a second bind hands out no link now that the account exists.
    let again = Browser::new(&s)
        .post(
            "/web/api/claim",
            json!({"token": token, "password": "another-password"}),
        )
        .await;
    assert_eq!(again.status, 410);
    assert_eq!(again.body["code"], "claim_invalid");
    let rebind = c
        .call(&agent, "agents/bind", json!({"email": "owner@example.com"}))
        .await;
    assert_eq!(rebind.status, 200);
    assert!(rebind.data()["claimUrl"].is_null(), "{:?}", rebind.body);
}

#[actix_rt::test]
async fn claim_links_expire_and_the_command_line_issues_new_ones() {
    let s = Server::start_with(&[("AGENTGATE_SIGNUP", "invite")]);
    let mut b = Browser::new(&s);
    let r = b
        .post(
            "/web/api/signup",
            json!({"email": "new@example.com", "password": PASSWORD, "displayName": "N"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["code"], "signup_closed");
    assert_eq!(
        b.get("/web/api/config").await.body["signup"],
        "invite",
        "the page knows"
    );

    let out = cli(&s.db, &["users", "invite", "new@example.com"]);
    let url = out.lines().last().unwrap().trim().to_string();
    let token = claim_token(&url);
    sql(&s.db, "UPDATE claim_links SET expires_at = 1 WHERE 1 = 1");
    let r = b
        .post(
            "/web/api/claim",
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 410, "expired: {:?}", r.body);

    let out = cli(&s.db, &["users", "invite", "new@example.com"]);
    let token = claim_token(out.lines().last().unwrap().trim());
    let r = b
        .post(
            "/web/api/claim",
            json!({"token": token, "password": "shortpw"}),
        )
        .await;
    assert_eq!(r.status, 400, "too short: nothing claimed");
    let r = b
        .post(
            "/web/api/claim",
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["username"], "new", "from the email's local part");
}

#[actix_rt::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer_then_429() {
    let s = Server::start();
    let mut b = Browser::new(&s);
    b.sign_up("bob@example.com", "Bob").await;
    let mut stranger = Browser::new(&s);
    let wrong = stranger.log_in("bob@example.com", "not his password").await;
    let unknown = stranger
        .log_in("nobody@example.com", "not his password")
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body, unknown.body, "no difference to learn from");
    assert_eq!(wrong.body["code"], "bad_credentials");
    // Five failures for the account in all (per-address limit is off in tests).
    for _ in 0..4 {
        assert_eq!(
            stranger.log_in("bob@example.com", "nope-nope").await.status,
            401
        );
    }
    let blocked = stranger.log_in("bob@example.com", PASSWORD).await;
    assert_eq!(
        blocked.status, 429,
        "even the right password: {:?}",
        blocked.body
    );
    assert_eq!(blocked.body["code"], "throttled");
    let wait: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(blocked.body["error"]
        .as_str()
        .unwrap()
        .contains("5 per 900 s"));
    // Another account is not affected.
    let mut carol = Browser::new(&s);
    carol.sign_up("carol@example.com", "Carol").await;
    assert_eq!(
        carol.log_in("carol@example.com", PASSWORD).await.status,
        200
    );
}

#[actix_rt::test]
async fn one_address_guessing_many_accounts_is_throttled_too() {
    let s = Server::start_with(&[("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "3")]);
    let mut b = Browser::new(&s);
    for i in 0..3 {
        let r = b.log_in(&format!("u{i}@example.com"), "guess-guess").await;
        assert_eq!(r.status, 401);
    }
    let r = b.log_in("u9@example.com", "guess-guess").await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert!(r.header("retry-after").is_some());
}

#[actix_rt::test]
async fn each_login_is_a_new_session_and_logout_ends_only_its_own() {
    let s = Server::start();
    let mut first = Browser::new(&s);
    first.sign_up("dee@example.com", "Dee").await;
    let mut second = Browser::new(&s);
    assert_eq!(second.log_in("dee@example.com", PASSWORD).await.status, 200);
    assert_ne!(first.cookie, second.cookie, "a new id at every login");
    let old = first.cookie.clone();
    assert_eq!(first.post("/web/api/logout", json!({})).await.status, 204);
    assert!(first.cookie.is_none(), "the cookie is cleared");
    first.cookie = old;
    assert_eq!(
        first.get("/web/api/me").await.status,
        401,
        "the old value is dead"
    );
    assert_eq!(second.get("/web/api/me").await.status, 200);

    let mut third = Browser::new(&s);
    third.log_in("dee@example.com", PASSWORD).await;
    assert_eq!(
        third.post("/web/api/logout-all", json!({})).await.status,
        204
    );
    assert_eq!(second.get("/web/api/me").await.status, 401);
}

#[actix_rt::test]
async fn changing_the_password_ends_the_other_sessions() {
    let s = Server::start();
    let mut here = Browser::new(&s);
    here.sign_up("eve@example.com", "Eve").await;
    let mut there = Browser::new(&s);
    there.log_in("eve@example.com", PASSWORD).await;
    let r = here
        .post(
            "/web/api/password",
            json!({"current": "wrong-current", "password": "a new password"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["field"], "current");
    assert_eq!(
        there.get("/web/api/me").await.status,
        200,
        "nothing changed"
    );
    let r = here
        .post(
            "/web/api/password",
            json!({"current": PASSWORD, "password": "a new password"}),
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(here.get("/web/api/me").await.status, 200, "this one stays");
    assert_eq!(there.get("/web/api/me").await.status, 401);
    let mut again = Browser::new(&s);
    assert_eq!(again.log_in("eve@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        again
            .log_in("eve@example.com", "a new password")
            .await
            .status,
        200
    );
}

#[actix_rt::test]
async fn sessions_end_when_idle_and_at_their_absolute_expiry() {
    let s = Server::start();
    let mut idle = Browser::new(&s);
    idle.sign_up("fay@example.com", "Fay").await;
    let mut old = Browser::new(&s);
    old.log_in("fay@example.com", PASSWORD).await;
    let digest_of = |cookie: &str| {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(cookie.as_bytes()))
    };
    let idle_digest = digest_of(idle.cookie.as_ref().unwrap());
    let old_digest = digest_of(old.cookie.as_ref().unwrap());
    // Unused for eight days (the idle limit is seven), and past the absolute expiry.
    sql(
        &s.db,
        &format!(
            "UPDATE web_sessions SET last_seen_at = last_seen_at - 8 * 86400000 WHERE digest = '{idle_digest}'"
        ),
    );
    sql(
        &s.db,
        &format!("UPDATE web_sessions SET expires_at = 1 WHERE digest = '{old_digest}'"),
    );
    let r = idle.get("/web/api/me").await;
    assert_eq!(r.status, 401);
    assert!(r.body["error"].as_str().unwrap().contains("expired"));
    assert_eq!(old.get("/web/api/me").await.status, 401);
}

#[actix_rt::test]
async fn routes_open_to_everyone_take_small_bodies_only() {
    let s = Server::start();
    let mut b = Browser::new(&s);
    let padding = "x".repeat(20 * 1024);
    for path in [
        "/web/api/login",
        "/web/api/signup",
        "/web/api/claim",
        "/web/api/claim/inspect",
    ] {
        let r = b
            .post(
                path,
                json!({"email": "a@example.com", "password": PASSWORD, "padding": padding}),
            )
            .await;
        assert_eq!(r.status, 413, "{path}: {:?}", r.body);
        assert!(
            r.body["error"]
                .as_str()
                .unwrap()
                .contains("16384-byte limit"),
            "{path}: {:?}",
            r.body
        );
    }
    // Nothing was created by the refused sign-up.
    b.sign_up("a@example.com", "A").await;
}
