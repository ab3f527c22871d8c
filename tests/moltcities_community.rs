//! The city's community routes: the activity feed, analytics, referrals, e-mail subscriptions
//! and what `/api/me` adds for its owner. The real server on port 0 with a real database.

mod common;

use common::mc::{registration, Keys};
use common::{Client, Server};
use serde_json::{json, Value};

/// Registers `name` naming `referrer`; the verify answer.
async fn referred(c: &Client, name: &str, slug: &str, referrer: &str) -> Value {
    let keys = Keys::new();
    let mut body = registration(name, slug, &keys.pem);
    body["referrer"] = json!(referrer);
    c.register_signed(body, &keys).await
}

#[actix_web::test]
async fn referrals_are_recorded_at_registration_and_ranked() {
    let s = Server::start();
    let c = s.client();
    let (alice, _) = c.citizen("Alice Referrer", "alice-ref").await;
    let (bob, _) = c.citizen("Bob Referrer", "bob-ref").await;

    let r = c.mc("GET", "/api/referrals/leaderboard", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"leaderboard": []}));

    let v = referred(&c, "Newcomer One", "newcomer-one", "Alice Referrer").await;
    assert_eq!(v["referred_by"], "Alice Referrer");
    referred(&c, "Newcomer Two", "newcomer-two", "alice referrer").await;
    referred(&c, "Newcomer Three", "newcomer-three", "Bob Referrer").await;
    // An unknown referrer is ignored, as on the real server.
    let v = referred(&c, "Newcomer Four", "newcomer-four", "Nobody Known").await;
    assert_eq!(v["referred_by"], json!(null));

    let r = c.mc("GET", "/api/referrals/leaderboard", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["leaderboard"],
        json!([
            {"referrer": "Alice Referrer", "referrer_id": alice.id, "count": 2},
            {"referrer": "Bob Referrer", "referrer_id": bob.id, "count": 1},
        ])
    );

    // A referrer name over 50 characters is refused before any challenge.
    let keys = Keys::new();
    let mut body = registration("Too Long", "too-long-ref", &keys.pem);
    body["referrer"] = json!("x".repeat(51));
    let r = c.mc("POST", "/api/register", None, Some(body)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"], "referrer must be 0-50 characters (got 51)");
}

#[actix_web::test]
async fn subscriptions_are_kept_per_agent_up_to_five_and_shown_on_me() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Sub Agent", "sub-agent").await;
    let (b, _) = c.citizen("Other Agent", "other-agent").await;
    let sub = |key: &str, body: Value| {
        let key = key.to_string();
        let c = &c;
        async move { c.mc("POST", "/api/subscribe", Some(&key), Some(body)).await }
    };

    for (body, msg) in [
        (json!({}), "email address is required"),
        (json!({"email": "  "}), "email address is required"),
        (
            json!({"email": "not-an-address"}),
            "invalid email address format",
        ),
        (json!({"email": "a@b"}), "invalid email address format"),
        (
            json!({"email": "ok@example.org", "preferences": [1]}),
            "preferences must be an object",
        ),
        (
            json!({"email": "ok@example.org", "preferences": {"x": "y".repeat(3000)}}),
            "preferences must be at most 2048 bytes of JSON",
        ),
    ] {
        let r = sub(&a.key, body.clone()).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (400, Some(msg)),
            "{body}"
        );
    }
    let r = c
        .mc(
            "POST",
            "/api/subscribe",
            None,
            Some(json!({"email": "x@example.org"})),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);

    let r = sub(
        &a.key,
        json!({"email": " Agent@Example.ORG ", "preferences": {"weekly": true}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["email"], "agent@example.org");
    assert_eq!(r.body["unsubscribe_url"], "/api/unsubscribe");
    assert!(r.body["note"].as_str().unwrap().contains("sends no e-mail"));
    let first_id = r.body["id"].as_str().unwrap().to_string();
    assert!(first_id.starts_with("sub_"));
    // The same address again: nothing new.
    let r = sub(&a.key, json!({"email": "agent@example.org"})).await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (200, Some("Already subscribed."))
    );

    for i in 2..=5 {
        let r = sub(&a.key, json!({"email": format!("n{i}@example.org")})).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = sub(&a.key, json!({"email": "six@example.org"})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.body["error"],
        "subscription limit reached: at most 5 addresses per agent"
    );

    let r = c.mc("GET", "/api/me", Some(&a.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let me = &r.body["agent"];
    let subs = me["email_subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 5);
    let first = subs.iter().find(|s| s["id"] == first_id.as_str()).unwrap();
    assert_eq!(first["email"], "agent@example.org");
    assert_eq!(first["preferences"], json!({"weekly": true}));
    assert!(first["subscribed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        me["subscribe_api"],
        json!({"url": "/api/subscribe", "unsubscribe_url": "/api/unsubscribe", "limit": 5})
    );
    assert_eq!(me["onboarding"]["registered"], true);
    assert_eq!(me["onboarding"]["has_site"], true);
    assert_eq!(me["onboarding"]["wallet_connected"], false);
    assert_eq!(me["onboarding"]["ready_for_jobs"], true);
    assert_eq!(me["reputation"], 0);
    assert_eq!(me["name"], "Sub Agent");

    // Another agent can neither see nor remove them.
    let r = c.mc("GET", "/api/me", Some(&b.key), None).await;
    assert_eq!(r.body["agent"]["email_subscriptions"], json!([]));
    let r = c
        .mc(
            "POST",
            "/api/unsubscribe",
            Some(&b.key),
            Some(json!({"email": "agent@example.org"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("subscription not found"))
    );
    let r = c
        .mc(
            "POST",
            "/api/unsubscribe",
            Some(&b.key),
            Some(json!({"id": first_id})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    let r = c
        .mc("POST", "/api/unsubscribe", Some(&a.key), Some(json!({})))
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("email address or subscription id is required"))
    );
    let r = c
        .mc(
            "POST",
            "/api/unsubscribe",
            Some(&a.key),
            Some(json!({"email": "AGENT@example.org"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (200, Some("Unsubscribed."))
    );
    let r = c
        .mc(
            "POST",
            "/api/unsubscribe",
            Some(&a.key),
            Some(json!({"id": first_id})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = c.mc("GET", "/api/me", Some(&a.key), None).await;
    assert_eq!(
        r.body["agent"]["email_subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // Room for one more now.
    let r = sub(&a.key, json!({"email": "six@example.org"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[actix_web::test]
async fn the_activity_feed_shows_the_newest_events_of_every_kind() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Feed Alpha", "feed-alpha").await;
    let (b, _) = c.citizen("Feed Beta", "feed-beta").await;

    let r = c
        .mc("POST", "/api/sites/feed-alpha/guestbook", Some(&b.key), Some(json!({"author_name": "Feed Beta", "message": "A visit from a neighbour who liked the place a lot, truly."})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // An anonymous guest's entry is not an agent's event.
    let r = c
        .mc(
            "POST",
            "/api/sites/feed-alpha/guestbook",
            None,
            Some(json!({"author_name": "Guest", "message": "Hello"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc("POST", "/api/jobs", Some(&a.key), Some(json!({"title": "Feed task", "description": "A task described at enough length to pass.", "reward_lamports": 42})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let job = r.body["job_id"].as_str().unwrap().to_string();
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{job}/attempt"),
            Some(&b.key),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{job}/submit"),
            Some(&b.key),
            Some(json!({"proof": "done"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{job}/approve"),
            Some(&a.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let description = "A proposal described at length so that it passes the fifty-character floor.";
    let r = c
        .mc("POST", "/api/governance/proposals", Some(&a.key), Some(json!({"title": "Feed notice boards", "description": description, "category": "feature"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let proposal = r.body["proposal_id"].as_str().unwrap().to_string();
    let r = c
        .mc(
            "POST",
            &format!("/api/governance/proposals/{proposal}/vote"),
            Some(&b.key),
            Some(json!({"supports": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&a.key),
            Some(json!({"slug": "feeders", "name": "Feeders"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/rings/feeders/join",
            Some(&b.key),
            Some(json!({"site_slug": "feed-beta"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let r = c.mc("GET", "/api/activity?limit=50", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let acts = r.body["activities"].as_array().unwrap();
    assert_eq!(r.body["count"], acts.len());
    let kinds: Vec<&str> = acts.iter().map(|a| a["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec![
            "ring_joined",
            "proposal_voted",
            "proposal_created",
            "job_completed",
            "job_claimed",
            "guestbook_signed",
            "registration",
            "registration"
        ]
    );
    assert_eq!(acts[0]["agent"]["id"], b.id.as_str());
    assert_eq!(
        acts[0]["data"],
        json!({"ring_slug": "feeders", "site_slug": "feed-beta"})
    );
    assert_eq!(acts[1]["agent"]["id"], b.id.as_str());
    assert_eq!(
        acts[1]["data"],
        json!({"proposal_id": proposal, "proposal_title": "Feed notice boards", "supports": false, "vote_weight": 1.6})
    );
    assert_eq!(acts[2]["agent"]["id"], a.id.as_str());
    assert_eq!(
        acts[2]["data"],
        json!({"proposal_id": proposal, "title": "Feed notice boards", "category": "feature"})
    );
    // With no limit the default of 10 holds all eight.
    let r = c.mc("GET", "/api/activity", None, None).await;
    assert_eq!(r.body["count"], 8);
    let acts = &acts[3..];
    let done = &acts[0];
    assert_eq!(done["agent"]["id"], b.id.as_str());
    assert_eq!(done["agent"]["name"], "Feed Beta");
    assert_eq!(
        done["data"],
        json!({"job_id": job, "job_title": "Feed task", "reward_lamports": 42, "verification_type": "manual", "approved_by": "Feed Alpha"})
    );
    assert_eq!(acts[1]["data"]["job_title"], "Feed task");
    assert_eq!(
        acts[2]["data"],
        json!({"site_slug": "feed-alpha", "message_preview": "A visit from a neighbour who liked the place a lot"})
    );
    assert_eq!(acts[3]["agent"]["id"], b.id.as_str());
    assert_eq!(acts[3]["data"], json!({"site_slug": "feed-beta"}));
    assert_eq!(acts[4]["agent"]["id"], a.id.as_str());
    assert!(acts[4]["created_at"].as_str().unwrap().ends_with('Z'));

    // The default is 10; a type narrows it; bad parameters are refused.
    let r = c
        .mc("GET", "/api/activity?type=registration&limit=1", None, None)
        .await;
    let acts = r.body["activities"].as_array().unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0]["agent"]["id"], b.id.as_str());
    let r = c
        .mc("GET", "/api/activity?type=wallet_verified", None, None)
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["error"]
        .as_str()
        .unwrap()
        .starts_with("type must be one of registration"));
    let r = c.mc("GET", "/api/activity?limit=0", None, None).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("limit must be at least 1"))
    );
}

#[actix_web::test]
async fn analytics_count_agents_sites_messages_and_guestbooks() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Stat Alpha", "stat-alpha").await;
    let (b, _) = c.citizen("Stat Beta", "stat-beta").await;
    c.citizen("Stat Gamma", "stat-gamma").await;
    for body in ["one", "two"] {
        let r = c
            .mc(
                "POST",
                "/api/agents/stat-beta/message",
                Some(&a.key),
                Some(json!({"subject": "Hi", "body": body})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = c.mc("GET", "/api/inbox", Some(&b.key), None).await;
    let id = r.body["messages"][0]["id"].as_str().unwrap().to_string();
    let r = c
        .mc("POST", &format!("/api/inbox/{id}/read"), Some(&b.key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/sites/stat-alpha/guestbook",
            Some(&b.key),
            Some(json!({"author_name": "Stat Beta", "message": "Hello there"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"status": "Working"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = c.mc("GET", "/api/analytics", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b_ = &r.body;
    assert_eq!(b_["agents"]["total"], 3);
    assert_eq!(b_["agents"]["with_skills"], 3);
    assert_eq!(b_["agents"]["with_status"], 1);
    assert_eq!(b_["agents"]["profile_completion_rate"], 100);
    let today = &b_["generated_at"].as_str().unwrap()[..10];
    assert_eq!(b_["agents"]["by_day"], json!([{"date": today, "count": 3}]));
    assert_eq!(b_["sites"]["total"], 3);
    assert_eq!(b_["sites"]["by_neighborhood"][0]["count"], 3);
    assert_eq!(b_["sites"]["top_by_views"].as_array().unwrap().len(), 3);
    let m = &b_["messages"];
    assert_eq!(
        (
            m["total"].as_i64(),
            m["read"].as_i64(),
            m["unread"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(m["read_rate"], 50);
    assert_eq!(
        (m["unique_senders"].as_i64(), m["unique_receivers"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(m["by_day"], json!([{"date": today, "count": 2}]));
    assert_eq!(m["top_senders"], json!([{"name": "Stat Alpha", "sent": 2}]));
    assert_eq!(
        m["top_receivers"],
        json!([{"name": "Stat Beta", "received": 2, "read_count": 1}])
    );
    assert_eq!(b_["guestbook"]["total_entries"], 1);
    assert_eq!(
        b_["guestbook"]["top_sites"],
        json!([{"slug": "stat-alpha", "entries": 1}])
    );
    assert_eq!(
        b_["engagement_funnel"],
        json!({"registered": 3, "has_site": 3, "has_profile": 3, "sent_message": 1, "received_message": 1, "signed_guestbook": 1})
    );
}
