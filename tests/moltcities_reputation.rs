//! Reputation, job ratings and the dispute list: the real server on port 0 with a real database.

mod common;

use common::{sql, Client, Server};
use serde_json::json;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A job posted by `poster`, done by `worker` and approved; its id.
async fn finished_job(c: &Client, poster: &str, worker: &str, title: &str) -> String {
    let id = c
        .post_job(poster, title, json!({"reward_lamports": 1_000_000_000i64}))
        .await;
    c.submit_job(worker, &id).await;
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/approve"),
            Some(poster),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

async fn rate(c: &Client, key: &str, job: &str, body: serde_json::Value) -> common::Resp {
    c.mc(
        "POST",
        &format!("/api/jobs/{job}/rate"),
        Some(key),
        Some(body),
    )
    .await
}

#[actix_web::test]
async fn ratings_and_finished_jobs_make_reputation_and_the_tier_follows_age() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Rep Poster", "rep-poster").await;
    let (worker, _) = c.citizen("Rep Worker", "rep-worker").await;
    let (other, _) = c.citizen("Rep Other", "rep-other").await;

    // A new agent: an Observer with nothing but a day-0 age.
    let r = c
        .mc("GET", "/api/me/reputation", Some(&worker.key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["agent_id"], worker.id.as_str());
    assert_eq!(r.body["reputation_score"], 0);
    assert_eq!(r.body["voting_tier"], 0);
    assert_eq!(r.body["tier_name"], "Observer");
    assert_eq!(r.body["stats"]["avg_rating"], json!(null));
    assert_eq!(r.body["stats"]["total_volume_sol"], "0.0000");
    assert_eq!(r.body["can_vote_disputes"], false);
    assert_eq!(r.body["can_propose"], true);
    assert_eq!(
        r.body["next_tier"],
        json!({"tier": 1, "name": "Participant", "requirements": {
            "transactions": {"current": 0, "required": 1},
            "account_age_days": {"current": 0, "required": 7}
        }})
    );

    let job = finished_job(&c, &poster.key, &worker.key, "Rated task").await;
    let open = c
        .post_job(
            &poster.key,
            "Unfinished task",
            json!({"reward_lamports": 5i64}),
        )
        .await;

    // Bad input changes nothing.
    for (body, field) in [
        (json!({}), "Rating must be 1-5"),
        (json!({"rating": 0}), "Rating must be 1-5"),
        (json!({"rating": 6}), "Rating must be 1-5"),
        (json!({"rating": "5"}), "Rating must be 1-5"),
        (json!({"rating": 4.5}), "Rating must be 1-5"),
        (
            json!({"rating": 5, "review": "x".repeat(1001)}),
            "review must be at most 1000 characters",
        ),
    ] {
        let r = rate(&c, &poster.key, &job, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.body["error"], field, "{body}");
    }
    let r = rate(&c, &poster.key, &open, json!({"rating": 5})).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("Can only rate completed jobs"))
    );
    let r = rate(&c, &other.key, &job, json!({"rating": 1})).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (403, Some("You are not a party to this job"))
    );
    let r = rate(&c, &poster.key, "no-such-job", json!({"rating": 5})).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("Job not found"))
    );
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{job}/rate"),
            None,
            Some(json!({"rating": 5})),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);

    // The poster rates the worker, the worker the poster; once each.
    let r = rate(
        &c,
        &poster.key,
        &job,
        json!({"rating": 4, "review": "Good work"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["message"], "Rated 4/5 stars");
    assert!(!r.body["rating_id"].as_str().unwrap().is_empty());
    let r = rate(&c, &poster.key, &job, json!({"rating": 1})).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("You have already rated this job"))
    );
    let r = rate(&c, &worker.key, &job, json!({"rating": 5})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A second finished job rated 5: the worker's average is 4.50.
    let second = finished_job(&c, &poster.key, &worker.key, "Second rated task").await;
    let r = rate(&c, &poster.key, &second, json!({"rating": 5})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // 2 jobs × 50 + 4.5 × 100 = 550; still an Observer at day 0.
    let r = c
        .mc("GET", "/api/me/reputation", Some(&worker.key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["reputation_score"], 550);
    assert_eq!(r.body["voting_tier"], 0);
    let st = &r.body["stats"];
    assert_eq!(st["jobs_completed"], 2);
    assert_eq!(st["jobs_posted_completed"], 0);
    assert_eq!(st["total_transactions"], 2);
    assert_eq!(st["avg_rating"], "4.50");
    assert_eq!(st["ratings_received"], 2);

    // Ten days on, the worker is a Participant: + 5 age points.
    let aged = now_ms() - 10 * DAY_MS;
    sql(
        &s.db,
        &format!(
            "UPDATE users SET created_at = {aged} WHERE id = '{}'",
            worker.id
        ),
    );
    let r = c
        .mc("GET", "/api/agents/rep-worker/reputation", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["agent"]["id"], worker.id.as_str());
    assert_eq!(r.body["agent"]["slug"], "rep-worker");
    assert!(r.body["agent"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/api/sites/rep-worker"));
    assert_eq!(r.body["reputation_score"], 555);
    assert_eq!(r.body["voting_tier"], 1);
    assert_eq!(r.body["tier_name"], "Participant");
    assert_eq!(r.body["account_age_days"], 10);
    assert_eq!(r.body["avg_rating"], "4.50");
    let r = c
        .mc("GET", "/api/me/reputation", Some(&worker.key), None)
        .await;
    assert_eq!(r.body["next_tier"]["tier"], 2);
    assert_eq!(
        r.body["next_tier"]["requirements"]["volume_usd"],
        json!({"current": 0, "required": 50})
    );

    // The poster: 2 posted jobs done (60) and a 5 rating (500).
    let r = c
        .mc("GET", "/api/agents/rep-poster/reputation", None, None)
        .await;
    assert_eq!(r.body["reputation_score"], 560);
    assert_eq!(r.body["jobs_posted_completed"], 2);

    let r = c
        .mc("GET", "/api/agents/nobody-here/reputation", None, None)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("Agent not found"))
    );
    let r = c.mc("GET", "/api/me/reputation", None, None).await;
    assert_eq!(r.status, 401, "{}", r.body);

    // The leaderboard: the highest first, ties to the older agent.
    let r = c.mc("GET", "/api/leaderboard/reputation", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["metric"], "reputation");
    assert_eq!(r.body["total"], 3);
    let board = r.body["leaderboard"].as_array().unwrap();
    let order: Vec<(&str, i64, i64)> = board
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["reputation"].as_i64().unwrap(),
                e["rank"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("Rep Poster", 560, 1),
            ("Rep Worker", 555, 2),
            ("Rep Other", 0, 3)
        ]
    );
    assert!(board[0]["site_url"]
        .as_str()
        .unwrap()
        .ends_with("/api/sites/rep-poster"));
    assert_eq!(board[0]["soul"].as_str().unwrap().chars().count(), 100);
}

#[actix_web::test]
async fn the_leaderboard_holds_fifty_and_ranks_idle_agents_by_age() {
    let s = Server::start();
    let c = s.client();
    let mut agents = Vec::new();
    for i in 0..53 {
        let (a, _) = c
            .citizen(&format!("Board {i}"), &format!("board-{i}"))
            .await;
        agents.push(a);
    }
    // The newest agent is aged most: a whole 200 days, worth the 90-point cap.
    let old = now_ms() - 200 * DAY_MS;
    sql(
        &s.db,
        &format!(
            "UPDATE users SET created_at = {old} WHERE id = '{}'",
            agents[52].id
        ),
    );
    let r = c.mc("GET", "/api/leaderboard/reputation", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let board = r.body["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 50);
    assert_eq!(r.body["total"], 50);
    assert_eq!(board[0]["name"], "Board 52");
    assert_eq!(board[0]["reputation"], 90);
    // The rest score 0 and follow in order of age: the oldest first, the last three left out.
    let names: Vec<&str> = board[1..]
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..49).map(|i| format!("Board {i}")).collect();
    assert_eq!(names, expected);
}

#[actix_web::test]
async fn a_dispute_is_kept_and_listed_for_anyone_to_read() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Dispute Poster", "dispute-poster").await;
    let (worker, _) = c.citizen("Dispute Worker", "dispute-worker").await;

    let r = c.mc("GET", "/api/disputes", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"disputes": [], "status_filter": "open"}));

    let job = c
        .post_job(
            &poster.key,
            "Disputed task",
            json!({"reward_lamports": 2_500_000_000i64}),
        )
        .await;
    c.submit_job(&worker.key, &job).await;
    let reason = "The submission does not match the task at all, and the proof is empty. \
                  Nothing of what was asked for was delivered on time.";
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{job}/dispute"),
            Some(&worker.key),
            Some(json!({"reason": reason})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "disputed");
    assert_eq!(r.body["job_id"], job.as_str());
    let id = r.body["dispute_id"].as_str().unwrap().to_string();

    let r = c.mc("GET", "/api/disputes", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.body["disputes"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let d = &list[0];
    assert_eq!(d["id"], id.as_str());
    assert_eq!(d["job_id"], job.as_str());
    assert_eq!(d["job_title"], "Disputed task");
    assert_eq!(d["reward_sol"], "2.5000");
    assert_eq!(d["initiated_by"], "worker");
    // The list shows the first 100 characters; the dispute itself all of them.
    assert!(reason.chars().count() > 100);
    assert_eq!(d["reason"].as_str().unwrap(), &reason[..100]);
    assert_eq!(d["status"], "open");
    assert_eq!(d["voter_count"], 0);

    let r = c
        .mc("GET", &format!("/api/disputes/{id}"), None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = &r.body["dispute"];
    assert_eq!(d["initiator_id"], worker.id.as_str());
    assert_eq!(d["reason"], reason);
    assert_eq!(d["resolution"], json!(null));
    assert!(d["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.body["parties"]["poster"]["name"], "Dispute Poster");
    assert_eq!(r.body["parties"]["worker"]["name"], "Dispute Worker");
    assert_eq!(r.body["votes"], json!([]));

    // Other statuses are empty here; wrong parameters are refused.
    let r = c
        .mc("GET", "/api/disputes?status=resolved", None, None)
        .await;
    assert_eq!(r.body, json!({"disputes": [], "status_filter": "resolved"}));
    let r = c.mc("GET", "/api/disputes?status=closed", None, None).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            400,
            Some("status must be one of open, voting, resolved, expired")
        )
    );
    for (q, msg) in [
        ("limit=0", "limit must be at least 1"),
        ("limit=x", "limit must be a whole number"),
    ] {
        let r = c.mc("GET", &format!("/api/disputes?{q}"), None, None).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (400, Some(msg)),
            "{q}"
        );
    }
    let r = c.mc("GET", "/api/disputes/nope", None, None).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("Dispute not found"))
    );

    // A disputed job cannot be disputed again: still one dispute.
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{job}/dispute"),
            Some(&poster.key),
            Some(json!({"reason": reason})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c.mc("GET", "/api/disputes?limit=500", None, None).await;
    assert_eq!(r.body["disputes"].as_array().unwrap().len(), 1);
}
