//! `POST /api/jobs/{id}/verify`: only an operator's agent runs a job's verification template;
//! a passing check completes the job. The real server on port 0 with a real database.

mod common;

use common::web::{cli, Browser};
use common::{sql, Client, Server};
use serde_json::{json, Value};

/// Posts a job with a verification template; its id.
async fn post_job(c: &Client, key: &str, template: &str, params: Value) -> String {
    let extra = json!({"reward_lamports": 7, "verification_template": template, "verification_params": params});
    c.post_job(key, &format!("Task {template}"), extra).await
}

async fn verify(c: &Client, key: &str, id: &str) -> common::Resp {
    c.mc("POST", &format!("/api/jobs/{id}/verify"), Some(key), None)
        .await
}

#[actix_web::test]
async fn only_an_operators_agent_verifies_and_a_passing_check_completes_the_job() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Verify Poster", "verify-poster").await;
    let (worker, _) = c.citizen("Verify Worker", "verify-worker").await;
    let (platform, _) = c.citizen("Platform Bot", "platform-bot").await;

    let job = post_job(
        &c,
        &poster.key,
        "guestbook_entry",
        json!({"target_site_slug": "verify-poster", "min_length": 20}),
    )
    .await;
    c.submit_job(&worker.key, &job).await;

    // Not an operator's agent: refused, nothing changes.
    for key in [&poster.key, &worker.key, &platform.key] {
        let r = verify(&c, key, &job).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.body["error"], "Only platform can trigger verification");
    }
    let r = c
        .mc("POST", &format!("/api/jobs/{job}/verify"), None, None)
        .await;
    assert_eq!(r.status, 401, "{}", r.body);

    // The platform bot's owner becomes an operator.
    let mut b = Browser::new(&s);
    b.sign_up("ops@example.com", "Ops").await;
    cli(&s.db, &["users", "admin", "ops@example.com"]);
    sql(
        &s.db,
        &format!(
            "UPDATE users SET owner_user_id = (SELECT user_id FROM human_accounts) WHERE id = '{}'",
            platform.id
        ),
    );

    let r = verify(&c, &platform.key, "no-such-job").await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("Job not found"))
    );

    // The worker has not signed yet: the check fails and the job waits.
    let r = verify(&c, &platform.key, &job).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"job_id": job, "verification": {"passed": false, "details": {"error": "No guestbook entry found", "min_length": 20, "target": "verify-poster"}}, "job_status": "pending_verification", "payment": null})
    );
    // Too short, then long enough.
    let sign = |msg: &str| {
        let body = json!({"author_name": "Verify Worker", "message": msg});
        let c = &c;
        let key = worker.key.clone();
        async move {
            let r = c
                .mc(
                    "POST",
                    "/api/sites/verify-poster/guestbook",
                    Some(&key),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
    };
    sign("Short note").await;
    let r = verify(&c, &platform.key, &job).await;
    assert_eq!(r.body["verification"]["passed"], false);
    assert_eq!(
        r.body["verification"]["details"]["error"],
        "Entry too short"
    );
    assert_eq!(r.body["verification"]["details"]["current"], 10);
    sign("A long and thoughtful guestbook note.").await;
    let r = verify(&c, &platform.key, &job).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["verification"]["passed"], true);
    assert_eq!(r.body["verification"]["details"]["current"], 37);
    assert_eq!(r.body["job_status"], "paid");
    let r = c.mc("GET", &format!("/api/jobs/{job}"), None, None).await;
    assert_eq!(r.body["job"]["status"], "paid", "{}", r.body);
    // The worker was told its job was completed, then paid.
    let r = c
        .mc("GET", "/api/notifications", Some(&worker.key), None)
        .await;
    let statuses: Vec<&str> = r.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "job_status")
        .map(|n| n["data"]["new_status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["paid", "completed"]);

    // Templates this server cannot check fail with a reason; the job keeps waiting.
    for (template, error) in [
        (
            "wallet_verified",
            "This server has no wallets, so this template cannot pass",
        ),
        (
            "external_post",
            "This server fetches no outside pages: the poster approves this job",
        ),
        ("manual_approval", "This template requires manual approval"),
        ("no_such_template", "Unknown verification template"),
    ] {
        let id = post_job(&c, &poster.key, template, json!({})).await;
        c.submit_job(&worker.key, &id).await;
        let r = verify(&c, &platform.key, &id).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["verification"]["passed"], false, "{template}");
        assert_eq!(
            r.body["verification"]["details"]["error"], error,
            "{template}"
        );
        assert_eq!(r.body["job_status"], "pending_verification");
    }

    // A ring to join and a message to send.
    let ring_job = post_job(
        &c,
        &poster.key,
        "ring_joined",
        json!({"ring_slug": "checkers"}),
    )
    .await;
    c.submit_job(&worker.key, &ring_job).await;
    let r = verify(&c, &platform.key, &ring_job).await;
    assert_eq!(
        r.body["verification"]["details"]["error"],
        "Not a member of required ring"
    );
    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&poster.key),
            Some(json!({"slug": "checkers", "name": "Checkers"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/rings/checkers/join",
            Some(&worker.key),
            Some(json!({"site_slug": "verify-worker"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = verify(&c, &platform.key, &ring_job).await;
    assert_eq!(r.body["verification"]["passed"], true, "{}", r.body);
    assert_eq!(r.body["job_status"], "paid");

    let msg_job = post_job(
        &c,
        &poster.key,
        "message_sent",
        json!({"target_agent_id": poster.id}),
    )
    .await;
    c.submit_job(&worker.key, &msg_job).await;
    let r = verify(&c, &platform.key, &msg_job).await;
    assert_eq!(r.body["verification"]["details"]["current"], 0);
    let r = c
        .mc(
            "POST",
            "/api/agents/verify-poster/message",
            Some(&worker.key),
            Some(json!({"subject": "Done", "body": "As asked"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = verify(&c, &platform.key, &msg_job).await;
    assert_eq!(r.body["verification"]["passed"], true, "{}", r.body);

    // An open job has no worker yet.
    let open = post_job(
        &c,
        &poster.key,
        "ring_joined",
        json!({"ring_slug": "checkers"}),
    )
    .await;
    let r = verify(&c, &platform.key, &open).await;
    assert_eq!(
        r.body["verification"],
        json!({"passed": false, "details": {"error": "No worker ID provided for verification"}})
    );
    assert_eq!(r.body["job_status"], "open");
}
