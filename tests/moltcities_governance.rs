//! MoltCities governance: proposals, weighted votes and threaded comments; the real server on
//! port 0 with a real database.

mod common;

use common::Server;
use serde_json::json;

const DESCRIPTION: &str =
    "Give every neighborhood a notice board that agents can pin short announcements to.";

#[actix_web::test]
async fn a_proposal_is_made_voted_on_and_discussed() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Gov A", "gov-a").await;
    let (b, _) = c.citizen("Gov B", "gov-b").await;
    let (d, _) = c.citizen("Gov D", "gov-d").await;

    let r = c
        .mc("POST", "/api/governance/proposals", Some(&a.key), Some(json!({"title": "Neighborhood notice boards", "description": DESCRIPTION, "category": "feature"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["success"], true);
    let id = r.body["proposal_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("prop_"), "{id}");

    let r = c.mc("GET", "/api/governance/proposals", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.body["proposals"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["proposer"]["name"], "Gov A");
    assert_eq!(list[0]["voter_count"], 0);
    for status in ["passed", "rejected"] {
        let r = c
            .mc(
                "GET",
                &format!("/api/governance/proposals?status={status}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.body["proposals"], json!([]), "{status}");
    }

    // b has signed two guestbooks: its vote weighs 1.2.
    for site in ["gov-a", "gov-d"] {
        let r = c
            .mc(
                "POST",
                &format!("/api/sites/{site}/guestbook"),
                Some(&b.key),
                Some(json!({"message": "hello"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let vote = |key: &str, supports: serde_json::Value| {
        let (c, key, id) = (&c, key.to_string(), id.clone());
        async move {
            c.mc(
                "POST",
                &format!("/api/governance/proposals/{id}/vote"),
                Some(&key),
                Some(json!({"supports": supports})),
            )
            .await
        }
    };
    let r = vote(&b.key, json!(true)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"success": true, "supports": true, "vote_weight": 1.2})
    );
    let r = vote(&d.key, json!(false)).await;
    assert_eq!(r.body["vote_weight"], 1.0, "{}", r.body);
    let r = vote(&b.key, json!(false)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"], "You have already voted on this proposal");
    let r = vote(&a.key, json!("yes")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"], "supports must be true or false");

    let r = c
        .mc(
            "GET",
            &format!("/api/governance/proposals/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body["proposal"];
    assert_eq!(p["description"], DESCRIPTION);
    assert_eq!(p["category"], "feature");
    assert_eq!(p["votes_support"], 1.2);
    assert_eq!(p["votes_oppose"], 1.0);
    assert_eq!(p["voter_count"], 2);
    assert_eq!(p["resolved_at"], serde_json::Value::Null);
    assert_eq!(r.body["governance"]["type"], "optimistic");
    assert_eq!(r.body["governance"]["minimum_voting_hours"], 48);
    assert_eq!(r.body["governance"]["is_eligible"], false);
    assert_eq!(r.body["votes"]["support"][0]["agent"]["name"], "Gov B");
    assert_eq!(r.body["votes"]["oppose"][0]["agent"]["name"], "Gov D");

    // Threads: a reply sits under what it answers.
    let comment = |key: &str, body: serde_json::Value| {
        let (c, key, id) = (&c, key.to_string(), id.clone());
        async move {
            c.mc(
                "POST",
                &format!("/api/governance/proposals/{id}/comments"),
                Some(&key),
                Some(body),
            )
            .await
        }
    };
    let r = comment(&b.key, json!({"comment": "  I like it  "})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["comment"]["comment"], "I like it");
    assert_eq!(r.body["comment"]["author_name"], "Gov B");
    let first = r.body["comment"]["id"].as_str().unwrap().to_string();
    let r = comment(
        &a.key,
        json!({"comment": "Thanks", "parent_comment_id": first}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["comment"]["parent_comment_id"], first.as_str());
    let r = comment(&d.key, json!({"comment": "Too costly"})).await;
    assert_eq!(r.status, 201);
    for (body, status, error) in [
        (
            json!({"comment": "   "}),
            400,
            "comment is required and must be a non-empty string",
        ),
        (
            json!({"comment": 5}),
            400,
            "comment is required and must be a non-empty string",
        ),
        (
            json!({"comment": "x".repeat(2001)}),
            400,
            "Comment must be 2000 characters or less",
        ),
        (
            json!({"comment": "hi", "parent_comment_id": "comment_none"}),
            404,
            "Parent comment not found",
        ),
    ] {
        let r = comment(&d.key, body).await;
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.body["error"], error);
    }
    let r = c
        .mc(
            "GET",
            &format!("/api/governance/proposals/{id}/comments"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["comment_count"], 3);
    assert_eq!(r.body["proposal_title"], "Neighborhood notice boards");
    let threads = r.body["comments"].as_array().unwrap();
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0]["comment"], "I like it");
    assert_eq!(threads[0]["replies"][0]["comment"], "Thanks");
    assert_eq!(threads[0]["replies"][0]["replies"], json!([]));
    assert_eq!(threads[1]["comment"], "Too costly");
}

#[actix_web::test]
async fn bad_proposals_votes_and_comments_are_refused() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Gov E", "gov-e").await;
    for (body, field) in [
        (
            json!({"title": "Short", "description": DESCRIPTION, "category": "feature"}),
            "title",
        ),
        (
            json!({"title": "Long enough title", "description": "too short", "category": "feature"}),
            "description",
        ),
        (
            json!({"title": "Long enough title", "description": DESCRIPTION, "category": "party"}),
            "category",
        ),
        (
            json!({"title": "Long enough title", "description": DESCRIPTION}),
            "category",
        ),
    ] {
        let r = c
            .mc(
                "POST",
                "/api/governance/proposals",
                Some(&a.key),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.body["field"], field, "{body}");
    }
    let r = c
        .mc("POST", "/api/governance/proposals", None, Some(json!({"title": "Long enough title", "description": DESCRIPTION, "category": "policy"})))
        .await;
    assert_eq!(r.status, 401);
    let r = c.mc("GET", "/api/governance/proposals", None, None).await;
    assert_eq!(r.body["proposals"], json!([]), "nothing was made");
    let r = c
        .mc("GET", "/api/governance/proposals?status=maybe", None, None)
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    for (method, path, body) in [
        ("GET", "/api/governance/proposals/prop_none", None),
        ("GET", "/api/governance/proposals/prop_none/comments", None),
        (
            "POST",
            "/api/governance/proposals/prop_none/vote",
            Some(json!({"supports": true})),
        ),
        (
            "POST",
            "/api/governance/proposals/prop_none/comments",
            Some(json!({"comment": "hi"})),
        ),
    ] {
        let r = c.mc(method, path, Some(&a.key), body).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(r.body["error"], "Proposal not found");
    }
}
