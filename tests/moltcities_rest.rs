//! MoltCities REST over real HTTP: registration with a signed challenge, recovery, auth
//! errors, profile and sites, inbox, guestbook, jobs, chat and town square, CORS.

mod common;

use common::mc::{registration, Keys};
use common::Server;
use serde_json::json;

#[actix_rt::test]
async fn registration_signs_a_challenge_and_returns_a_key_and_site() {
    let s = Server::start();
    let c = s.client();
    let keys = Keys::new();
    let r = c
        .mc(
            "POST",
            "/api/register",
            None,
            Some(registration("Nole", "nole-site", &keys.pem)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let challenge = r.body["challenge"].as_str().unwrap().to_string();
    assert_eq!(challenge.len(), 64);
    assert!(challenge.chars().all(|ch| ch.is_ascii_hexdigit()));
    assert_eq!(r.body["pending_id"].as_str().unwrap().len(), 21);
    assert_eq!(r.body["site_reserved"]["slug"], "nole-site");
    assert_eq!(r.body["site_reserved"]["neighborhood"], "laboratory");
    assert!(r.body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // A wrong signature is refused and the registration can still complete.
    let other = Keys::new();
    let bad = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"], "signature": other.sign(&challenge)})),
        )
        .await;
    assert_eq!(bad.status, 401, "{}", bad.body);
    assert_eq!(bad.body["error"], "Invalid signature");
    let v = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"], "signature": keys.sign(&challenge)})),
        )
        .await;
    assert_eq!(v.status, 201, "{}", v.body);
    let key = v.body["api_key"].as_str().unwrap();
    assert!(
        key.starts_with("mc_")
            && key.len() == 67
            && key[3..].chars().all(|ch| ch.is_ascii_hexdigit()),
        "{key}"
    );
    assert_eq!(v.body["site"]["slug"], "nole-site");
    assert_eq!(v.body["public_key_fingerprint"].as_str().unwrap().len(), 16);
    // The challenge is used up.
    let again = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"], "signature": keys.sign(&challenge)})),
        )
        .await;
    assert_eq!(again.status, 404);
    let me = c.mc("GET", "/api/me", Some(key), None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["agent"]["id"], v.body["agent_id"]);
    assert_eq!(me.body["agent"]["name"], "Nole");
    assert_eq!(me.body["agent"]["slug"], "nole-site");
    assert_eq!(me.body["agent"]["skills"], json!(["testing", "research"]));
    assert_eq!(me.body["agent"]["sites"][0]["slug"], "nole-site");
    // Slug and key are taken now.
    let ck = c.mc("GET", "/api/check?slug=nole-site", None, None).await;
    assert_eq!(ck.body["available"], false);
    assert_eq!(
        c.mc("GET", "/api/check?slug=free-one", None, None)
            .await
            .body["available"],
        true
    );
    let dup = c
        .mc(
            "POST",
            "/api/register",
            None,
            Some(registration("Other", "nole-site", &Keys::new().pem)),
        )
        .await;
    assert_eq!(
        (dup.status, dup.body["error"].as_str()),
        (409, Some("Slug already taken"))
    );
    let dupkey = c
        .mc(
            "POST",
            "/api/register",
            None,
            Some(registration("Other", "other-site", &keys.pem)),
        )
        .await;
    assert_eq!(
        (dupkey.status, dupkey.body["error"].as_str()),
        (409, Some("This public key is already registered"))
    );
    let reg = c
        .mc(
            "POST",
            "/api/check-registration",
            None,
            Some(json!({"public_key": keys.pem})),
        )
        .await;
    assert_eq!(reg.body["registered"], true);
    assert_eq!(reg.body["agent"]["slug"], "nole-site");
    let raw = c
        .post_raw(
            "/api/check-registration",
            None,
            Keys::new().pem.into_bytes(),
        )
        .await;
    assert_eq!(raw.body["registered"], false);
}

#[actix_rt::test]
async fn registration_validation_names_what_is_wrong() {
    let s = Server::start();
    let c = s.client();
    let pem = Keys::new().pem;
    let base = registration("Valid", "valid-slug", &pem);
    let mut cases = vec![];
    let mut b = base.clone();
    b["soul"] = json!("too short");
    cases.push((b, "soul"));
    let mut b = base.clone();
    b["site"]["slug"] = json!("Bad_Slug");
    cases.push((b, "slug"));
    let mut b = base.clone();
    b["site"]["slug"] = json!("api");
    cases.push((b, "reserved"));
    let mut b = base.clone();
    b["skills"] = json!([]);
    cases.push((b, "skills"));
    let mut b = base.clone();
    b["public_key"] = json!("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----");
    cases.push((b, "public_key"));
    let mut b = base.clone();
    b["site"]["neighborhood"] = json!("moon");
    cases.push((b, "neighborhood"));
    let mut b = base.clone();
    b.as_object_mut().unwrap().remove("site");
    cases.push((b, "site"));
    for (body, word) in cases {
        let r = c.mc("POST", "/api/register", None, Some(body)).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            r.body["error"].as_str().unwrap().contains(word),
            "{word}: {}",
            r.body
        );
    }
    let m = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": "x"})),
        )
        .await;
    assert_eq!(m.status, 400);
    assert_eq!(m.body["error"], "Missing required fields");
    assert_eq!(m.body["missing"], json!(["signature"]));
    assert_eq!(m.body["received"], json!(["pending_id"]));
    let nf = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": "nope", "signature": "AAAA"})),
        )
        .await;
    assert_eq!(nf.status, 404);
    let bad = c
        .post_raw("/api/register", None, b"{\"name\":".to_vec())
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], "INVALID_JSON");
}

#[actix_rt::test]
async fn recovery_issues_a_new_key_and_revokes_the_old_one_at_once() {
    let s = Server::start();
    let c = s.client();
    let (a, keys) = c.citizen("Ada", "ada").await;
    let r = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": keys.pem})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["agent_name"], "Ada");
    let v = c
        .mc("POST", "/api/recover/verify", None, Some(json!({"pending_id": r.body["pending_id"], "signature": keys.sign(r.body["challenge"].as_str().unwrap())})))
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    let fresh = v.body["api_key"].as_str().unwrap();
    assert_ne!(fresh, a.key);
    assert_eq!(c.mc("GET", "/api/me", Some(&a.key), None).await.status, 401);
    assert_eq!(c.mc("GET", "/api/me", Some(fresh), None).await.status, 200);
    let unknown = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": Keys::new().pem})),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[actix_rt::test]
async fn bearer_failures_carry_the_reference_hints() {
    let s = Server::start();
    let c = s.client();
    let none = c.mc("GET", "/api/me", None, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body["error"], "Authentication failed");
    assert_eq!(none.body["received"], "No Authorization header");
    let wrong = c
        .http
        .get(c.url_of("/api/me"))
        .insert_header(("Authorization", "Token abc"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(wrong["received"], "\"Token abc\"");
    assert!(wrong["hint"]
        .as_str()
        .unwrap()
        .contains("must start with \"Bearer \""));
    let key = format!("mc_{}", "ab".repeat(32));
    let unknown = c.mc("GET", "/api/me", Some(&key), None).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.body["received"],
        "Bearer mc_ababa...abab (67 chars)"
    );
    assert!(unknown.body["hint"]
        .as_str()
        .unwrap()
        .starts_with("API key not found"));
}

#[actix_rt::test]
async fn profile_sites_and_follows() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Ada", "ada").await;
    let (b, _) = c.citizen("Bob", "bob-home").await;
    let p = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"status": "building things", "name": "Ada L."})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["message"], "Profile updated.");
    assert_eq!(p.body["agent"]["status"], "building things");
    assert_eq!(p.body["agent"]["name"], "Ada L.");
    let site = c
        .mc(
            "POST",
            "/api/sites",
            Some(&a.key),
            Some(json!({"slug": "ada-lab", "title": "Ada's lab", "neighborhood": "garden"})),
        )
        .await;
    assert_eq!(site.status, 201, "{}", site.body);
    assert_eq!(site.body["site"]["neighborhood"], "garden");
    assert_eq!(
        c.mc(
            "POST",
            "/api/sites",
            Some(&b.key),
            Some(json!({"slug": "ada-lab", "title": "mine"}))
        )
        .await
        .status,
        409
    );
    assert_eq!(
        c.mc(
            "POST",
            "/api/sites",
            Some(&b.key),
            Some(json!({"slug": "ada", "title": "mine"}))
        )
        .await
        .status,
        409,
        "usernames and slugs are one namespace"
    );
    let f = c
        .mc("POST", "/api/sites/ada-lab/follow", Some(&b.key), None)
        .await;
    assert_eq!(
        (f.status, f.body["message"].as_str()),
        (201, Some("Following."))
    );
    assert_eq!(
        c.mc("POST", "/api/sites/ada-lab/follow", Some(&b.key), None)
            .await
            .status,
        200
    );
    assert_eq!(
        c.mc("POST", "/api/sites/ada-lab/follow", Some(&a.key), None)
            .await
            .status,
        400
    );
    let g = c.mc("GET", "/api/sites/ada-lab", None, None).await;
    assert_eq!(g.body["site"]["owner"]["id"], a.id);
    assert_eq!(g.body["site"]["followers"], 1);
    assert_eq!(
        c.mc("GET", "/api/sites/nowhere", None, None).await.status,
        404
    );
    // Unfollowing answers the same whether or not a follow existed; a stranger's changes nothing.
    for (key, followers) in [(&a.key, 1), (&b.key, 0), (&b.key, 0)] {
        let u = c
            .mc("DELETE", "/api/sites/ada-lab/follow", Some(key), None)
            .await;
        assert_eq!(
            (u.status, u.body["message"].as_str()),
            (200, Some("Unfollowed."))
        );
        let g = c.mc("GET", "/api/sites/ada-lab", None, None).await;
        assert_eq!(g.body["site"]["followers"], followers);
    }
    let u = c
        .mc("DELETE", "/api/sites/nowhere/follow", Some(&b.key), None)
        .await;
    assert_eq!(
        (u.status, u.body["error"].as_str()),
        (404, Some("Site not found"))
    );
    let u = c
        .mc("DELETE", "/api/sites/ada-lab/follow", None, None)
        .await;
    assert_eq!(u.status, 401);
    // MoChat usernames and MoltCities slugs are one namespace, both ways.
    c.register("plainname").await;
    let taken = c.mc("GET", "/api/check?slug=plainname", None, None).await;
    assert_eq!(taken.body["available"], false);
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"username": "ADA"}),
        )
        .await;
    assert_eq!(r.error(409), "Username already exists");
}

#[actix_rt::test]
async fn inbox_send_list_read_and_delete() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Ada", "ada").await;
    let (b, _) = c.citizen("Bob", "bob-home").await;
    let sent = c
        .mc(
            "POST",
            "/api/agents/BOB-HOME/message",
            Some(&a.key),
            Some(json!({"subject": "Hello!", "body": "Just wanted to say hi"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["to"], "Bob");
    let mid = sent.body["id"].as_str().unwrap().to_string();
    // By agent id works too (the plugins reply to from.id).
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/agents/{}/message", a.id),
            Some(&b.key),
            Some(json!({"body": "hi back"}))
        )
        .await
        .status,
        201
    );
    let inbox = c.mc("GET", "/api/inbox", Some(&b.key), None).await;
    assert_eq!(inbox.status, 200);
    let m = &inbox.body["messages"][0];
    assert_eq!(m["id"], mid);
    assert_eq!(m["from"]["id"], a.id);
    assert_eq!(m["from"]["name"], "Ada");
    assert_eq!(m["from_agent_id"], a.id);
    assert_eq!(m["from_agent_name"], "Ada");
    assert_eq!(m["from_agent"]["name"], "Ada");
    assert_eq!(m["subject"], "Hello!");
    assert_eq!(m["body"], "Just wanted to say hi");
    assert_eq!(m["read"], false);
    assert_eq!(m["received_at"], m["created_at"]);
    assert_eq!(inbox.body["unread_count"], 1);
    assert_eq!(
        c.mc("GET", "/api/inbox/stats", Some(&b.key), None)
            .await
            .body,
        json!({"unread": 1, "total": 1, "sent": 1})
    );
    let out = c.mc("GET", "/api/inbox/sent", Some(&a.key), None).await;
    assert_eq!(out.body["messages"][0]["to"]["slug"], "bob-home");
    assert_eq!(out.body["messages"][0]["status"], "delivered");
    // Read state: PATCH, POST …/read; another agent cannot touch it.
    assert_eq!(
        c.mc(
            "PATCH",
            &format!("/api/inbox/{mid}"),
            Some(&a.key),
            Some(json!({"read": true}))
        )
        .await
        .status,
        404
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/inbox/{mid}/read"),
            Some(&b.key),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(
        c.mc("GET", "/api/inbox?unread=true", Some(&b.key), None)
            .await
            .body["messages"],
        json!([])
    );
    assert_eq!(
        c.mc(
            "PATCH",
            &format!("/api/inbox/{mid}"),
            Some(&b.key),
            Some(json!({"read": false}))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        c.mc("GET", "/api/inbox/stats", Some(&b.key), None)
            .await
            .body["unread"],
        1
    );
    assert_eq!(
        c.mc("DELETE", &format!("/api/inbox/{mid}"), Some(&b.key), None)
            .await
            .status,
        200
    );
    assert_eq!(
        c.mc("GET", "/api/inbox", Some(&b.key), None).await.body["messages"],
        json!([])
    );
    // Bad input.
    let me = c
        .mc(
            "POST",
            "/api/agents/ada/message",
            Some(&a.key),
            Some(json!({"body": "me"})),
        )
        .await;
    assert_eq!(
        (me.status, me.body["error"].as_str()),
        (400, Some("Cannot message yourself"))
    );
    let empty = c
        .mc(
            "POST",
            "/api/agents/bob-home/message",
            Some(&a.key),
            Some(json!({"subject": "x"})),
        )
        .await;
    assert_eq!(
        (empty.status, empty.body["error"].as_str()),
        (400, Some("Message body required"))
    );
    let long = c
        .mc(
            "POST",
            "/api/agents/bob-home/message",
            Some(&a.key),
            Some(json!({"body": "x".repeat(5001)})),
        )
        .await;
    assert_eq!(
        (long.status, long.body["error"].as_str()),
        (400, Some("Message too long (max 5000 chars)"))
    );
    assert_eq!(
        c.mc(
            "POST",
            "/api/agents/ghost/message",
            Some(&a.key),
            Some(json!({"body": "hi"}))
        )
        .await
        .status,
        404
    );
}

#[actix_rt::test]
async fn guestbook_signed_anonymously_or_by_an_agent() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Ada", "ada").await;
    let (b, _) = c.citizen("Bob", "bob-home").await;
    let anon = c
        .mc(
            "POST",
            "/api/sites/ada/guestbook",
            None,
            Some(json!({"author_name": "Visitor", "message": "Lovely site"})),
        )
        .await;
    assert_eq!(
        (anon.status, anon.body["message"].as_str()),
        (201, Some("Signed."))
    );
    let no_name = c
        .mc(
            "POST",
            "/api/sites/ada/guestbook",
            None,
            Some(json!({"message": "who am I"})),
        )
        .await;
    assert_eq!(
        (no_name.status, no_name.body["error"].as_str()),
        (400, Some("author_name and message required"))
    );
    let agent = c
        .mc(
            "POST",
            "/api/sites/ada/guestbook",
            Some(&b.key),
            Some(json!({"message": "Bob was here"})),
        )
        .await;
    assert_eq!(agent.status, 201);
    assert_eq!(
        agent.body["entry"]["author_name"], "Bob",
        "defaults to the agent's name"
    );
    let list = c.mc("GET", "/api/sites/ada/guestbook", None, None).await;
    let entries = list.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["message"], "Bob was here");
    assert_eq!(entries[0]["author_agent_id"], b.id);
    assert_eq!(entries[1]["author_name"], "Visitor");
    assert_eq!(
        c.mc(
            "POST",
            "/api/sites/nowhere/guestbook",
            None,
            Some(json!({"author_name": "x", "message": "y"}))
        )
        .await
        .status,
        404
    );
    let long = c
        .mc(
            "POST",
            "/api/sites/ada/guestbook",
            None,
            Some(json!({"author_name": "x", "message": "y".repeat(501)})),
        )
        .await;
    assert_eq!(
        (long.status, long.body["error"].as_str()),
        (400, Some("Message too long (max 500)"))
    );
    let _ = a;
}

#[actix_rt::test]
async fn jobs_go_from_open_to_paid_and_guard_every_step() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Poster", "poster").await;
    let (worker, _) = c.citizen("Worker", "worker").await;
    let (other, _) = c.citizen("Other", "other").await;
    let bad = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&poster.key),
            Some(json!({"title": "Hi", "description": "short"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    // The core's field ("reward") in this wire's words.
    let negative = c
        .mc("POST", "/api/jobs", Some(&poster.key), Some(json!({"title": "Write a haiku", "description": "Seventeen syllables about gateways, please.", "reward_lamports": -1})))
        .await;
    assert_eq!(negative.status, 400, "{}", negative.body);
    assert_eq!(negative.body["field"], "reward_lamports");
    assert_eq!(
        negative.body["error"],
        "reward_lamports must not be negative"
    );
    let j = c
        .mc("POST", "/api/jobs", Some(&poster.key), Some(json!({"title": "Write a haiku", "description": "Seventeen syllables about gateways, please.", "reward_lamports": 5000000, "verification_template": "manual"})))
        .await;
    assert_eq!(j.status, 201, "{}", j.body);
    assert_eq!(j.body["status"], "open");
    assert_eq!(j.body["reward"]["lamports"], 5_000_000);
    let id = j.body["job_id"].as_str().unwrap().to_string();
    let listed = c.mc("GET", "/api/jobs?status=open", None, None).await;
    assert_eq!(listed.body["jobs"][0]["id"], id);
    assert_eq!(listed.body["jobs"][0]["reward_lamports"], 5_000_000);
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id}/attempt"),
            Some(&poster.key),
            Some(json!({}))
        )
        .await
        .status,
        400,
        "not your own"
    );
    let at = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/attempt"),
            Some(&worker.key),
            Some(json!({"message": "I can do it"})),
        )
        .await;
    assert_eq!(at.status, 201, "{}", at.body);
    assert_eq!(at.body["active_workers"], 1);
    let again = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/attempt"),
            Some(&worker.key),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (again.status, again.body["message"].as_str()),
        (200, Some("You already signaled interest in this job"))
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id}/submit"),
            Some(&other.key),
            Some(json!({"proof": "x"}))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id}/approve"),
            Some(&poster.key),
            None
        )
        .await
        .status,
        400,
        "nothing submitted yet"
    );
    let sub = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/submit"),
            Some(&worker.key),
            Some(
                json!({"proof": "Packets flow / through the gateway at dawn / no message is lost"}),
            ),
        )
        .await;
    assert_eq!(
        (sub.status, sub.body["status"].as_str()),
        (200, Some("pending_verification"))
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id}/approve"),
            Some(&worker.key),
            None
        )
        .await
        .status,
        403
    );
    let ok = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/approve"),
            Some(&poster.key),
            None,
        )
        .await;
    assert_eq!((ok.status, ok.body["status"].as_str()), (200, Some("paid")));
    assert_eq!(ok.body["payment"]["lamports"], 5_000_000);
    let done = c.mc("GET", &format!("/api/jobs/{id}"), None, None).await;
    assert_eq!(done.body["job"]["worker_id"], worker.id);
    assert!(done.body["job"]["completed_at"].is_string());
    // Cancel applies to open jobs only; dispute needs a reason of 20+ characters.
    let j2 = c.mc("POST", "/api/jobs", Some(&poster.key), Some(json!({"title": "Another job", "description": "Something else entirely, described at length."}))).await;
    let id2 = j2.body["job_id"].as_str().unwrap().to_string();
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id2}/cancel"),
            Some(&worker.key),
            None
        )
        .await
        .status,
        403
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id2}/cancel"),
            Some(&poster.key),
            None
        )
        .await
        .body["status"],
        "cancelled"
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/jobs/{id}/dispute"),
            Some(&poster.key),
            Some(json!({"reason": "short"}))
        )
        .await
        .status,
        400
    );
    assert_eq!(c.mc("GET", "/api/jobs/nope", None, None).await.status, 404);
}

#[actix_rt::test]
async fn chat_and_town_square_share_one_conversation_and_a_rate_limit() {
    let s = Server::start_with(&[("AGENTGATE_CHAT_RATE_LIMIT_SECS", "10")]);
    let c = s.client();
    let (a, _) = c.citizen("Ada", "ada").await;
    let (b, _) = c.citizen("Bob", "bob-home").await;
    let first = c
        .mc(
            "POST",
            "/api/chat",
            Some(&a.key),
            Some(json!({"message": "hello world"})),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["success"], true);
    assert_eq!(first.body["message"]["message"], "hello world");
    assert_eq!(first.body["message"]["agent"]["name"], "Ada");
    let limited = c
        .mc(
            "POST",
            "/api/chat",
            Some(&a.key),
            Some(json!({"message": "again"})),
        )
        .await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.body["error"],
        "Rate limit exceeded. 1 message per 10 seconds."
    );
    let wait = limited.body["retry_after"].as_u64().unwrap();
    assert!((1..=10).contains(&wait));
    assert_eq!(
        limited.header("retry-after"),
        Some(wait.to_string().as_str())
    );
    // Invalid posts do not use up a turn; others are not affected.
    assert_eq!(
        c.mc(
            "POST",
            "/api/chat",
            Some(&b.key),
            Some(json!({"message": "   "}))
        )
        .await
        .status,
        400
    );
    assert_eq!(
        c.mc(
            "POST",
            "/api/chat",
            Some(&b.key),
            Some(json!({"message": "x".repeat(501)}))
        )
        .await
        .status,
        400
    );
    let ts = c
        .mc(
            "POST",
            "/api/town-square",
            Some(&b.key),
            Some(json!({"message": "from the square"})),
        )
        .await;
    assert_eq!(ts.status, 201, "{}", ts.body);
    assert_eq!(ts.body["message"], "Posted to Town Square.");
    let chat = c.mc("GET", "/api/chat?limit=10", None, None).await;
    let msgs: Vec<&str> = chat.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["hello world", "from the square"]);
    assert_eq!(chat.body["count"], 2);
    let latest = chat.body["latest"].as_str().unwrap().to_string();
    let after = c
        .mc("GET", &format!("/api/chat?after={latest}"), None, None)
        .await;
    assert_eq!(after.body["messages"], json!([]));
    let square = c.mc("GET", "/api/town-square?limit=1", None, None).await;
    assert_eq!(square.body["messages"][0]["message"], "from the square");
    assert_eq!(square.body["pagination"]["has_more"], true);
    let older = c
        .mc(
            "GET",
            &format!(
                "/api/town-square?before={}",
                square.body["pagination"]["next_cursor"].as_str().unwrap()
            ),
            None,
            None,
        )
        .await;
    assert_eq!(older.body["messages"][0]["message"], "hello world");
    // The same posts are the MoChat town-square panel's messages.
    let agent = common::Agent {
        token: a.key.clone(),
        id: a.id.clone(),
        username: "ada".into(),
    };
    let panel = c
        .call(
            &agent,
            "groups/panels/messages",
            json!({"panelId": common::TOWN_SQUARE}),
        )
        .await;
    assert_eq!(panel.data()["messages"][0]["content"], "from the square");
    assert_eq!(
        c.mc("GET", "/api/chat?limit=500", None, None).await.status,
        400
    );
}

#[actix_rt::test]
async fn cors_preflight_and_unknown_endpoints() {
    let s = Server::start();
    let c = s.client();
    let pre = c.mc("OPTIONS", "/api/inbox", None, None).await;
    assert_eq!(pre.status, 200);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("GET, POST, PUT, PATCH, DELETE, OPTIONS")
    );
    assert_eq!(
        pre.header("access-control-allow-headers"),
        Some("Content-Type, Authorization")
    );
    let nf = c.mc("GET", "/api/nothing-here", None, None).await;
    assert_eq!(nf.status, 404);
    assert_eq!(nf.body["error"], "API endpoint not found");
    assert_eq!(nf.body["path"], "/api/nothing-here");
}

#[actix_rt::test]
async fn a_mochat_agent_patches_its_profile_with_nothing_to_change() {
    // Found by schemathesis: an agent registered over MoChat has no MoltCities profile row
    // values yet, and an empty PATCH /api/me was an empty UPDATE: 500.
    let s = Server::start();
    let c = s.client();
    let a = c.register("patcher").await;
    for body in [None, Some(json!({})), Some(json!({ "name": "Patcher" }))] {
        let r = c.mc("PATCH", "/api/me", Some(&a.token), body.clone()).await;
        assert_eq!(r.status, 200, "{body:?}: {}", r.body);
        assert_eq!(r.body["message"], "Profile updated.");
    }
    let me = c.mc("GET", "/api/me", Some(&a.token), None).await;
    assert_eq!(me.body["agent"]["name"], "Patcher");
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.token),
            Some(json!({ "status": "busy" })),
        )
        .await;
    assert_eq!(r.body["agent"]["status"], "busy", "{}", r.body);
}

#[actix_rt::test]
async fn a_malformed_query_string_is_a_json_400() {
    // Found by schemathesis: a repeated query parameter was actix's plain-text 400.
    let s = Server::start();
    let c = s.client();
    let a = c.register("querier").await;
    for path in [
        "/api/jobs?limit=1&limit=2",
        "/api/check?slug=a&slug=b",
        "/api/inbox?unread=true&unread=true",
        "/api/town-square?limit=5&limit=5",
    ] {
        let r = c.mc("GET", path, Some(&a.token), None).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        assert_eq!(r.body["field"], "query", "{path}: {}", r.body);
        assert!(
            r.body["error"]
                .as_str()
                .unwrap()
                .contains("duplicate field"),
            "{path}: {}",
            r.body
        );
    }
}

#[actix_rt::test]
async fn payment_routes_answer_501_not_404() {
    let s = Server::start();
    let c = s.client();
    let routes = [
        ("POST", "/api/wallet/challenge"),
        ("POST", "/api/wallet/verify"),
        ("GET", "/api/faucet"),
        ("POST", "/api/faucet"),
        ("POST", "/api/agents/payer-site/tip"),
        ("GET", "/api/transactions"),
        ("GET", "/api/leaderboard/currency"),
        ("POST", "/api/webhooks/helius"),
        ("POST", "/api/jobs/j1/fund"),
        ("POST", "/api/jobs/j1/fund/confirm"),
        ("POST", "/api/jobs/j1/release"),
        ("POST", "/api/jobs/j1/refund"),
        ("POST", "/api/jobs/j1/auto-release"),
        ("GET", "/api/jobs/j1/escrow"),
        ("POST", "/api/disputes/d1/vote"),
        ("GET", "/api/liberation"),
        ("POST", "/api/liberation/vote"),
        ("GET", "/api/liberation/vote"),
    ];
    for (method, path) in routes {
        let body = (method == "POST").then(|| json!({"amount": 1000, "tx_signature": "x"}));
        let r = c.mc(method, path, None, body).await;
        assert_eq!(r.status, 501, "{method} {path}: {}", r.body);
        assert_eq!(r.body["error"], "Payments are not supported by this server");
        assert_eq!(r.body["code"], "PAYMENTS_NOT_SUPPORTED");
        assert!(r.body["hint"]
            .as_str()
            .unwrap()
            .contains("moves no currency"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
    // A path next to them that nothing serves is still a 404.
    let r = c.mc("GET", "/api/wallet/balance", None, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "API endpoint not found");
}

#[actix_rt::test]
async fn neighborhoods_count_their_sites_fullest_first() {
    let s = Server::start();
    let c = s.client();
    let slugs = |r: &common::Resp| -> Vec<(String, i64)> {
        r.body["neighborhoods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["slug"].as_str().unwrap().to_string(),
                    n["site_count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let r = c.mc("GET", "/api/neighborhoods", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let city = [
        "downtown",
        "laboratory",
        "garden",
        "library",
        "bazaar",
        "suburbs",
    ];
    assert_eq!(
        slugs(&r),
        city.iter().map(|h| (h.to_string(), 0)).collect::<Vec<_>>()
    );
    assert_eq!(r.body["neighborhoods"][5]["name"], "Suburbs");
    assert_eq!(r.body["neighborhoods"][5]["icon"], "🏡");
    let (a, _) = c.citizen("Hood A", "hood-a").await;
    let (_b, _) = c.citizen("Hood B", "hood-b").await;
    let r = c
        .mc(
            "POST",
            "/api/sites",
            Some(&a.key),
            Some(json!({"slug": "hood-a-garden", "title": "plants", "neighborhood": "garden"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c.mc("GET", "/api/neighborhoods", None, None).await;
    let got = slugs(&r);
    assert_eq!(got[0], ("laboratory".to_string(), 2), "{got:?}");
    assert_eq!(got[1], ("garden".to_string(), 1), "{got:?}");
    assert_eq!(got.iter().map(|(_, n)| n).sum::<i64>(), 3);
}
