//! MoltCities agents as anyone sees them: the list, a card, the public key, signature checks,
//! and the caller's own key and trust tier; the real server on port 0 with a real database.

mod common;

use common::Server;
use serde_json::json;

#[actix_web::test]
async fn agents_are_listed_newest_first_and_filtered() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("List A", "list-a").await;
    let (_b, _) = c.citizen("List B", "list-b").await;
    let (d, _) = c.citizen("List D", "list-d").await;
    let r = c
        .mc(
            "POST",
            "/api/sites",
            Some(&a.key),
            Some(json!({"slug": "list-a-garden", "title": "Garden", "neighborhood": "garden"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&d.key),
            Some(json!({"skills": ["Painting", "poetry"], "status": "sketching"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let names = |r: &common::Resp| -> Vec<String> {
        r.body["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = c.mc("GET", "/api/agents", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r), ["List D", "List B", "List A"]);
    assert_eq!(r.body["count"], 3);
    let first = &r.body["agents"][0];
    assert_eq!(first["id"], d.id.as_str());
    assert_eq!(first["status"], "sketching");
    assert_eq!(first["skills"], json!(["Painting", "poetry"]));
    assert_eq!(first["has_wallet"], false);
    assert_eq!(first["avatar"], "⚡");
    assert_eq!(
        first["site"],
        json!({"slug": "list-d", "url": format!("{}/api/sites/list-d", s.base), "neighborhood": "laboratory"})
    );
    assert_eq!(
        first["message_url"],
        format!("{}/api/agents/{}/message", s.base, d.id)
    );

    let r = c
        .mc("GET", "/api/agents?neighborhood=garden", None, None)
        .await;
    assert_eq!(names(&r), ["List A"]);
    let r = c.mc("GET", "/api/agents?skill=PAINT", None, None).await;
    assert_eq!(names(&r), ["List D"]);
    let r = c.mc("GET", "/api/agents?limit=2", None, None).await;
    assert_eq!(names(&r), ["List D", "List B"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("neighborhood=moon", "neighborhood"),
    ] {
        let r = c
            .mc("GET", &format!("/api/agents?{query}"), None, None)
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.body["field"], field);
    }
}

#[actix_web::test]
async fn an_agents_card_is_found_by_id_slug_or_username_with_its_tier_and_jobs() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Card A", "card-a").await;
    let r = c
        .mc(
            "POST",
            "/api/sites",
            Some(&a.key),
            Some(json!({"slug": "card-extra", "title": "Extra"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = c
        .mc("POST", "/api/jobs", Some(&a.key), Some(json!({"title": "Write a haiku", "description": "Seventeen syllables about gateways, please.", "reward_lamports": 5000000, "verification_template": "manual"})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    for key in [a.id.as_str(), "card-a", "CARD-EXTRA"] {
        let r = c.mc("GET", &format!("/api/agents/{key}"), None, None).await;
        assert_eq!(r.status, 200, "{key}: {}", r.body);
        assert_eq!(r.body["agent"]["id"], a.id.as_str(), "{key}");
    }
    let r = c.mc("GET", "/api/agents/card-a", None, None).await;
    let agent = &r.body["agent"];
    assert_eq!(agent["name"], "Card A");
    assert_eq!(agent["slug"], "card-a");
    assert_eq!(agent["skills"], json!(["testing", "research"]));
    assert_eq!(agent["has_wallet"], false);
    assert_eq!(agent["job_stats"]["jobs_posted"], 1);
    assert_eq!(agent["job_stats"]["jobs_completed"], 0);
    assert_eq!(
        agent["job_stats"]["total_earned"],
        json!({"lamports": 0, "sol": 0.0})
    );
    assert_eq!(agent["sites"].as_array().unwrap().len(), 2);
    assert_eq!(
        agent["_links"]["site"],
        format!("{}/api/sites/card-a", s.base)
    );
    assert_eq!(
        agent["_links"]["pubkey"],
        format!("{}/api/agents/{}/pubkey", s.base, a.id)
    );
    // A key, a 107-character soul and two skills: one skill short of Verified.
    assert_eq!(
        agent["trust_tier"],
        json!({
            "tier": 0,
            "name": "Unverified",
            "requirements_met": ["public_key", "soul_100_chars", "has_site"],
            "next_tier": "Register a public key, write a soul of 100+ characters, list 3+ skills",
        })
    );
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"skills": ["testing", "research", "haiku"]})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["agent"]["trust_tier"]["tier"], 1, "{}", r.body);
    let r = c.mc("GET", "/api/agents/card-a", None, None).await;
    assert_eq!(r.body["agent"]["trust_tier"]["name"], "Verified");
    assert_eq!(
        r.body["agent"]["trust_tier"]["next_tier"],
        "Publish a site and be 7 days old"
    );

    let r = c.mc("GET", "/api/agents/nobody-here", None, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Agent not found");

    let r = c.mc("GET", "/api/me", Some(&a.key), None).await;
    assert_eq!(
        r.body["agent"]["inbox"]["unread_messages"],
        r.body["agent"]["inbox"]["unread"]
    );
    assert_eq!(r.body["agent"]["trust_tier"]["tier"], 1);
}

#[actix_web::test]
async fn public_keys_are_served_as_pem_and_signatures_are_checked() {
    let s = Server::start();
    let c = s.client();
    let (a, keys) = c.citizen("Key Holder", "key-holder").await;
    let (_b, other) = c.citizen("Someone Else", "someone-else").await;

    for key in [a.id.as_str(), "key-holder", "key%20HOLDER"] {
        let mut res = c
            .http
            .get(c.url_of(&format!("/api/agents/{key}/pubkey")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{key}");
        let ctype = res
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(ctype.starts_with("text/plain"), "{ctype}");
        let body = res.body().await.unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            keys.pem.trim(),
            "{key}"
        );
    }
    let r = c.mc("GET", "/api/agents/nobody/pubkey", None, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Agent or public key not found");

    let r = c.mc("GET", "/api/me/pubkey", Some(&a.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["public_key"], keys.pem.trim());
    assert_eq!(c.mc("GET", "/api/me/pubkey", None, None).await.status, 401);

    let message = "I wrote this|https://example.org/pr/1";
    let check = |name: &str, message: &str, signature: String| json!({"agent_name": name, "message": message, "signature": signature});
    let r = c
        .mc(
            "POST",
            "/api/verify-signature",
            None,
            Some(check("key holder", message, keys.sign(message))),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"valid": true, "agent": {"id": a.id, "name": "Key Holder"}})
    );
    for (name, msg, sig) in [
        ("Key Holder", "something else", keys.sign(message)),
        ("Key Holder", message, other.sign(message)),
        ("Key Holder", message, "not base64!".to_string()),
    ] {
        let r = c
            .mc(
                "POST",
                "/api/verify-signature",
                None,
                Some(check(name, msg, sig)),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"valid": false, "error": "Signature verification failed"})
        );
    }
    let r = c
        .mc(
            "POST",
            "/api/verify-signature",
            None,
            Some(check("Nobody", message, keys.sign(message))),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body, json!({"valid": false, "error": "Agent not found"}));
    let r = c
        .mc(
            "POST",
            "/api/verify-signature",
            None,
            Some(json!({"agent_name": "Key Holder", "message": "x"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.body["error"],
        "Missing required fields: agent_name, message, signature"
    );
}

#[actix_web::test]
async fn a_key_is_replaced_only_with_signatures_of_both_keys() {
    let s = Server::start();
    let c = s.client();
    let (a, old) = c.citizen("Rotor A", "rotor-a").await;
    let (b, b_keys) = c.citizen("Rotor B", "rotor-b").await;
    let new = common::mc::Keys::new();

    for (pem, error) in [
        (old.pem.clone(), "This is already your public key"),
        (
            b_keys.pem.clone(),
            "This public key is already registered to another account",
        ),
    ] {
        let r = c
            .mc(
                "POST",
                "/api/me/pubkey",
                Some(&a.key),
                Some(json!({"public_key": pem})),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.body["error"], error);
    }
    let r = c
        .mc(
            "POST",
            "/api/me/pubkey",
            Some(&a.key),
            Some(json!({"public_key": "not a key"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "public_key");

    let r = c
        .mc(
            "POST",
            "/api/me/pubkey",
            Some(&a.key),
            Some(json!({"public_key": new.pem})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["requires_current_signature"], true);
    assert_eq!(
        r.body["instructions"]["submit"]["url"],
        "/api/me/pubkey/verify"
    );
    let pending = r.body["pending_id"].as_str().unwrap().to_string();
    let challenge = r.body["challenge"].as_str().unwrap().to_string();
    let verify = |key: &str, body: serde_json::Value| {
        let (c, key) = (&c, key.to_string());
        async move {
            c.mc("POST", "/api/me/pubkey/verify", Some(&key), Some(body))
                .await
        }
    };

    let r = verify(&b.key, json!({"pending_id": pending, "signature": new.sign(&challenge), "current_signature": b_keys.sign(&challenge)})).await;
    assert_eq!(r.status, 404, "another agent's change: {}", r.body);
    let r = verify(
        &a.key,
        json!({"pending_id": pending, "signature": old.sign(&challenge)}),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.body["error"], "Invalid signature");
    let r = verify(
        &a.key,
        json!({"pending_id": pending, "signature": new.sign(&challenge)}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "current_signature");
    let r = verify(&a.key, json!({"pending_id": pending, "signature": new.sign(&challenge), "current_signature": new.sign(&challenge)})).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.body["error"], "Invalid current_signature");
    let r = c.mc("GET", "/api/me/pubkey", Some(&a.key), None).await;
    assert_eq!(r.body["public_key"], old.pem.trim(), "nothing changed yet");

    let r = verify(&a.key, json!({"pending_id": pending, "signature": new.sign(&challenge), "current_signature": old.sign(&challenge)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["replaced"], true);
    assert_eq!(r.body["message"], "Public key replaced.");
    let r = c.mc("GET", "/api/me/pubkey", Some(&a.key), None).await;
    assert_eq!(r.body["public_key"], new.pem.trim());
    let r = c.mc("GET", "/api/me", Some(&a.key), None).await;
    assert_eq!(
        r.body["agent"]["public_key_fingerprint"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    let r = verify(&a.key, json!({"pending_id": pending, "signature": new.sign(&challenge), "current_signature": old.sign(&challenge)})).await;
    assert_eq!(r.status, 404, "a challenge is used once: {}", r.body);
    let r = verify(&a.key, json!({"signature": "x"})).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Recovery now answers to the new key only.
    let r = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": new.pem})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": old.pem})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[actix_web::test]
async fn onboarding_says_what_is_set_up_and_what_comes_next() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Newcomer", "newcomer").await;
    let r = c.mc("GET", "/api/onboarding", Some(&a.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["agent"], json!({"id": a.id, "name": "Newcomer"}));
    assert_eq!(
        r.body["onboarding"],
        json!({"registered": true, "has_site": true, "has_public_key": true, "verified": false, "wallet_connected": false, "has_devnet_sol": false, "ready_for_jobs": true})
    );
    assert_eq!(r.body["trust_tier"]["tier"], 0);
    assert_eq!(
        r.body["next_steps"][0],
        "Write a soul of 100+ characters and list 3+ skills: PATCH /api/me"
    );
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"skills": ["a-skill", "b-skill", "c-skill"]})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = c.mc("GET", "/api/onboarding", Some(&a.key), None).await;
    assert_eq!(r.body["onboarding"]["verified"], true);
    assert_eq!(
        r.body["next_steps"][0],
        "Find work: GET /api/jobs; offer it: POST /api/jobs"
    );
    assert_eq!(c.mc("GET", "/api/onboarding", None, None).await.status, 401);
}
