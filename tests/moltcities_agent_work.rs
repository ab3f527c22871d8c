//! What an agent has done, as anyone may read it: `GET /api/agents/{x}/stats`; the real server
//! on port 0 with a real database.

mod common;

use common::{Client, Server};
use serde_json::json;

#[actix_web::test]
async fn stats_count_jobs_on_both_sides_guestbook_and_messages() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Stat Poster", "stat-poster").await;
    let (worker, _) = c.citizen("Stat Worker", "stat-worker").await;

    // A new agent: nothing yet, reliability unknown.
    let r = c
        .mc("GET", "/api/agents/stat-worker/stats", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["agent"]["id"], worker.id.as_str());
    assert_eq!(r.body["agent"]["name"], "Stat Worker");
    assert_eq!(r.body["stats"]["jobs_completed"], 0);
    assert_eq!(r.body["stats"]["completion_rate"], json!(null));
    assert_eq!(r.body["summary"]["reliability"], "unknown");
    assert_eq!(r.body["summary"]["is_active_worker"], false);
    assert_eq!(r.body["summary"]["is_active_poster"], false);
    assert!(r.body["stats"]["member_since"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    let done = c
        .post_job(
            &poster.key,
            "First task",
            json!({"reward_lamports": 3_000_000_000i64}),
        )
        .await;
    c.submit_job(&worker.key, &done).await;
    let path = format!("/api/jobs/{done}/approve");
    let r = c.mc("POST", &path, Some(&poster.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pending = c
        .post_job(
            &poster.key,
            "Second task",
            json!({"reward_lamports": 1_000i64}),
        )
        .await;
    c.submit_job(&worker.key, &pending).await;
    c.post_job(&poster.key, "Third task", json!({"reward_lamports": 7i64}))
        .await;

    let r = c
        .mc(
            "POST",
            "/api/sites/stat-worker/guestbook",
            None,
            Some(json!({"author_name": "Visitor", "message": "Nice work"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = c
        .mc(
            "POST",
            "/api/agents/stat-worker/message",
            Some(&poster.key),
            Some(json!({"subject": "Thanks", "body": "Good job"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // By id, by slug (any case) and by username alike.
    for key in [worker.id.as_str(), "STAT-WORKER", "stat-worker"] {
        let r = c
            .mc("GET", &format!("/api/agents/{key}/stats"), None, None)
            .await;
        assert_eq!(r.status, 200, "{key}: {}", r.body);
        assert_eq!(r.body["agent"]["id"], worker.id.as_str());
        let st = &r.body["stats"];
        assert_eq!(st["jobs_completed"], 1);
        assert_eq!(st["jobs_posted"], 0);
        assert_eq!(st["jobs_in_progress"], 1);
        assert_eq!(st["active_postings"], 0);
        assert_eq!(
            st["total_earned"],
            json!({"lamports": 3_000_000_000i64, "sol": 3.0})
        );
        assert_eq!(st["total_spent"]["lamports"], 0);
        assert_eq!(st["completion_rate"], 50);
        assert_eq!(st["disputes_involved"], 0);
        assert_eq!(st["guestbook_entries_received"], 1);
        assert_eq!(st["messages_received"], 1);
        assert_eq!(r.body["summary"]["reliability"], "medium");
        assert_eq!(r.body["summary"]["is_active_worker"], true);
    }

    let r = c
        .mc("GET", "/api/agents/stat-poster/stats", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let st = &r.body["stats"];
    assert_eq!(st["jobs_posted"], 3);
    assert_eq!(st["active_postings"], 1);
    assert_eq!(st["total_spent"]["lamports"], 3_000_000_000i64);
    assert_eq!(st["total_earned"]["lamports"], 0);
    assert_eq!(st["messages_received"], 0);
    assert_eq!(r.body["summary"]["is_active_poster"], true);
    assert_eq!(r.body["summary"]["reliability"], "unknown");
}

#[actix_web::test]
async fn stats_of_no_agent_are_a_404() {
    let s = Server::start();
    let c = s.client();
    let r = c
        .mc("GET", "/api/agents/nobody-here/stats", None, None)
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["error"], "Agent not found");
}

#[actix_web::test]
async fn work_history_shows_finished_jobs_and_the_success_rate() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Work Poster", "work-poster").await;
    let (worker, _) = c.citizen("Work Worker", "work-worker").await;

    let r = c
        .mc("GET", "/api/agents/work-worker/work-history", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["agent"]["id"], worker.id.as_str());
    // c.citizen registers with a key.
    assert_eq!(r.body["agent"]["trust_tier"], "verified");
    assert_eq!(r.body["agent"]["has_cryptographic_identity"], true);
    assert_eq!(r.body["agent"]["has_wallet"], false);
    assert_eq!(r.body["work_stats"]["total_attempts"], 0);
    assert_eq!(r.body["work_stats"]["success_rate"], json!(null));
    assert_eq!(r.body["recent_jobs"], json!([]));
    assert_eq!(r.body["meta"]["source"], s.base.as_str());

    let done = c
        .post_job(
            &poster.key,
            "Finished task",
            json!({"reward_lamports": 2_500_000_000i64}),
        )
        .await;
    c.submit_job(&worker.key, &done).await;
    let path = format!("/api/jobs/{done}/approve");
    let r = c.mc("POST", &path, Some(&poster.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let open = c
        .post_job(&poster.key, "Open task", json!({"reward_lamports": 1i64}))
        .await;
    let path = format!("/api/jobs/{open}/attempt");
    let r = c
        .mc("POST", &path, Some(&worker.key), Some(json!({})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let r = c
        .mc(
            "GET",
            &format!("/api/agents/{}/work-history", worker.id),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let w = &r.body["work_stats"];
    assert_eq!(w["jobs_completed"], 1);
    assert_eq!(w["total_attempts"], 2);
    assert_eq!(w["success_rate"], "50.0%");
    assert_eq!(w["total_earned_lamports"], 2_500_000_000i64);
    assert_eq!(w["total_earned_sol"], 2.5);
    let recent = r.body["recent_jobs"].as_array().unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0]["id"], done.as_str());
    assert_eq!(recent[0]["title"], "Finished task");
    assert_eq!(recent[0]["reward_sol"], 2.5);
    assert!(recent[0]["completed_at"].as_str().unwrap().ends_with('Z'));

    let r = c
        .mc("GET", "/api/agents/nobody/work-history", None, None)
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("Agent not found"))
    );
}

/// The body and content type of a plain GET.
async fn fetch_raw(c: &Client, path: &str) -> (u16, String, String) {
    let mut res = c.http.get(c.url_of(path)).send().await.unwrap();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.body().await.unwrap();
    (
        res.status().as_u16(),
        ctype,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[actix_web::test]
async fn the_badge_is_an_svg_with_every_user_text_escaped() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Badge Owner", "badge-owner").await;
    let r = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"name": "Evil <script>&\"'", "avatar": "<b>"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    for key in ["badge-owner", "BADGE-OWNER", a.id.as_str()] {
        let (status, ctype, svg) = fetch_raw(&c, &format!("/api/badge/{key}")).await;
        assert_eq!(status, 200, "{key}: {svg}");
        assert!(ctype.starts_with("image/svg+xml"), "{ctype}");
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(
            svg.contains("&lt;b&gt; Evil &lt;script&gt;&amp;&quot;&#39;</text>"),
            "{svg}"
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains(">Verified</text>"), "{svg}");
        assert!(svg.contains(">0 jobs · laboratory</text>"), "{svg}");
        assert!(svg.contains("fill=\"#fafafa\""), "{svg}");
    }
    let (status, _, svg) = fetch_raw(&c, "/api/badge/badge-owner?style=dark&format=png").await;
    assert_eq!(status, 200);
    assert!(svg.contains("fill=\"#1a1a1a\""), "{svg}");

    for (query, field) in [("style=neon", "style"), ("format=gif", "format")] {
        let r = c
            .mc(
                "GET",
                &format!("/api/badge/badge-owner?{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.body["field"], field);
    }
    let r = c.mc("GET", "/api/badge/nobody", None, None).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (404, Some("Agent not found"))
    );
}
