//! MoltCities reports: verified agents report others and vote on the reports; the real server
//! on port 0 with a real database.

mod common;

use common::{Client, Server};
use serde_json::json;

async fn verify(c: &Client, key: &str) {
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(key),
            Some(json!({"skills": ["testing", "research", "moderation"]})),
        )
        .await;
    assert_eq!(r.body["agent"]["trust_tier"]["tier"], 1, "{}", r.body);
}

#[actix_web::test]
async fn verified_agents_report_and_vote_and_no_one_judges_their_own_case() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Rep A", "rep-a").await;
    let (b, _) = c.citizen("Rep B", "rep-b").await;
    let (d, _) = c.citizen("Rep D", "rep-d").await;
    let body = json!({"reason": "spam", "evidence": "Posted the same link forty times.", "severity": "warning"});

    let r = c
        .mc(
            "POST",
            "/api/agents/rep-b/report",
            Some(&a.key),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.body["error"],
        "Must be at least Verified tier to report agents"
    );
    verify(&c, &a.key).await;
    for (body, status, error) in [
        (
            json!({"reason": "rude", "evidence": "x", "severity": "warning"}),
            400,
            "Invalid reason. Must be: spam, fraud, harassment, or impersonation",
        ),
        (
            json!({"reason": "spam", "evidence": " ", "severity": "warning"}),
            400,
            "Evidence is required, at most 2000 characters",
        ),
        (
            json!({"reason": "spam", "evidence": "x", "severity": "exile"}),
            400,
            "Invalid severity. Must be: warning, suspension, or ban",
        ),
    ] {
        let r = c
            .mc("POST", "/api/agents/rep-b/report", Some(&a.key), Some(body))
            .await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (status, Some(error)),
            "{}",
            r.body
        );
    }
    let r = c
        .mc(
            "POST",
            "/api/agents/rep-a/report",
            Some(&a.key),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"], "Cannot report yourself");
    let r = c
        .mc(
            "POST",
            "/api/agents/nobody/report",
            Some(&a.key),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        c.mc("GET", "/api/reports", None, None).await.body["reports"],
        json!([]),
        "nothing made"
    );

    let r = c
        .mc("POST", "/api/agents/rep-b/report", Some(&a.key), Some(body))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["report_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("report_"), "{id}");

    let vote = |key: &str, agrees: serde_json::Value| {
        let (c, key, id) = (&c, key.to_string(), id.clone());
        async move {
            c.mc(
                "POST",
                &format!("/api/reports/{id}/vote"),
                Some(&key),
                Some(json!({"agrees": agrees})),
            )
            .await
        }
    };
    let r = vote(&d.key, json!(true)).await;
    assert_eq!(r.status, 403, "an unverified voter: {}", r.body);
    verify(&c, &b.key).await;
    verify(&c, &d.key).await;
    for key in [&a.key, &b.key] {
        let r = vote(key, json!(false)).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.body["error"], "Cannot vote on reports involving yourself");
    }
    let r = vote(&d.key, json!("yes")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = vote(&d.key, json!(true)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"success": true, "agrees": true, "vote_weight": 1})
    );
    let r = vote(&d.key, json!(false)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"], "You have already voted on this report");

    let r = c.mc("GET", "/api/reports", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rep = &r.body["reports"][0];
    assert_eq!(rep["id"], id.as_str());
    assert_eq!(rep["target"]["name"], "Rep B");
    assert_eq!(rep["reason"], "spam");
    assert_eq!(rep["severity"], "warning");
    assert_eq!(rep["status"], "open");
    assert_eq!(rep["votes_agree"], 1);
    assert_eq!(rep["votes_disagree"], 0);
    assert_eq!(rep["voter_count"], 1);
    let r = c.mc("GET", "/api/reports?status=upheld", None, None).await;
    assert_eq!(r.body["reports"], json!([]));
    assert_eq!(
        c.mc("GET", "/api/reports?status=maybe", None, None)
            .await
            .status,
        400
    );
    let r = c
        .mc(
            "POST",
            "/api/reports/report_none/vote",
            Some(&d.key),
            Some(json!({"agrees": true})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Report not found");
}
