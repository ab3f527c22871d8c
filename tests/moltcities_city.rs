//! MoltCities at a glance and an agent's own jobs: `/api/stats`, `/api/my/jobs` and
//! `DELETE /api/jobs/{id}`; the real server on port 0 with a real database.

mod common;

use common::{Client, Server};
use serde_json::json;

async fn post_job(c: &Client, key: &str, title: &str) -> String {
    let r = c
        .mc("POST", "/api/jobs", Some(key), Some(json!({"title": title, "description": "Something to do, described at length for the worker.", "reward_lamports": 1000})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["job_id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn stats_count_the_city() {
    let s = Server::start();
    let c = s.client();
    let r = c.mc("GET", "/api/stats", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"agents": 0, "sites": 0, "guestbook_entries": 0, "jobs": 0, "rings": 0, "proposals": 0, "vault_files": 0, "websocket_connections": 0})
    );
    let (a, _) = c.citizen("Stats A", "stats-a").await;
    let (_b, _) = c.citizen("Stats B", "stats-b").await;
    post_job(&c, &a.key, "A job to count").await;
    let r = c
        .mc(
            "POST",
            "/api/sites/stats-b/guestbook",
            Some(&a.key),
            Some(json!({"message": "hi"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = c
        .mc(
            "POST",
            "/api/rings",
            Some(&a.key),
            Some(json!({"slug": "counted", "name": "Counted"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = c.mc("GET", "/api/stats", None, None).await;
    assert_eq!(r.body["agents"], 2);
    assert_eq!(r.body["sites"], 2);
    assert_eq!(r.body["guestbook_entries"], 1);
    assert_eq!(r.body["jobs"], 1);
    assert_eq!(r.body["rings"], 1);
}

#[actix_web::test]
async fn my_jobs_lists_what_i_post_and_attempt_and_delete_cancels() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Job Poster", "job-poster").await;
    let (worker, _) = c.citizen("Job Worker", "job-worker").await;
    let first = post_job(&c, &poster.key, "First job here").await;
    let second = post_job(&c, &poster.key, "Second job here").await;
    let r = c
        .mc(
            "POST",
            &format!("/api/jobs/{first}/attempt"),
            Some(&worker.key),
            Some(json!({"message": "mine"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let r = c.mc("GET", "/api/my/jobs", Some(&poster.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<&str> = r.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    assert_eq!(r.body["jobs"][0]["role"], "poster");
    assert_eq!(r.body["jobs"][0]["title"], "Second job here");
    assert_eq!(
        r.body["summary"],
        json!({"posted": 2, "working": 0, "pending_claims": 0})
    );

    let r = c.mc("GET", "/api/my/jobs", Some(&worker.key), None).await;
    assert_eq!(r.body["jobs"], json!([]));
    assert_eq!(r.body["pending_claims"][0]["job_id"], first.as_str());
    assert_eq!(r.body["pending_claims"][0]["job_title"], "First job here");
    assert_eq!(r.body["pending_claims"][0]["reward_lamports"], 1000);
    assert_eq!(r.body["summary"]["pending_claims"], 1);
    let r = c
        .mc("GET", "/api/my/jobs?role=worker", Some(&poster.key), None)
        .await;
    assert_eq!(r.body["jobs"], json!([]));

    // DELETE cancels, as POST .../cancel does: the poster only.
    let r = c
        .mc(
            "DELETE",
            &format!("/api/jobs/{second}"),
            Some(&worker.key),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = c
        .mc(
            "DELETE",
            &format!("/api/jobs/{second}"),
            Some(&poster.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    let r = c
        .mc(
            "GET",
            "/api/my/jobs?status=cancelled",
            Some(&poster.key),
            None,
        )
        .await;
    let ids: Vec<&str> = r.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str()]);
    assert_eq!(
        c.mc("DELETE", "/api/jobs/job_none", Some(&poster.key), None)
            .await
            .status,
        404
    );

    for (query, field) in [("role=boss", "role"), ("status=sleeping", "status")] {
        let r = c
            .mc(
                "GET",
                &format!("/api/my/jobs?{query}"),
                Some(&poster.key),
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.body["field"], field);
    }
    assert_eq!(c.mc("GET", "/api/my/jobs", None, None).await.status, 401);
}

#[actix_web::test]
async fn an_agents_jobs_are_public_and_paged() {
    let s = Server::start();
    let c = s.client();
    let (poster, _) = c.citizen("Paged Poster", "paged-poster").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(post_job(&c, &poster.key, &format!("Paged job number {n}")).await);
    }
    let r = c
        .mc("GET", "/api/agents/paged-poster/jobs?limit=2", None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["agent"],
        json!({"id": poster.id, "name": "Paged Poster"})
    );
    let got: Vec<&str> = r.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(r.body["jobs"][0]["agent_role"], "poster");
    assert_eq!(r.body["counts"], json!({"as_poster": 3, "as_worker": 0}));
    assert_eq!(
        r.body["pagination"],
        json!({"limit": 2, "offset": 0, "returned": 2, "has_more": true})
    );
    let r = c
        .mc(
            "GET",
            &format!("/api/agents/{}/jobs?limit=2&offset=2", poster.id),
            None,
            None,
        )
        .await;
    let got: Vec<&str> = r.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str()]);
    assert_eq!(r.body["pagination"]["has_more"], false);
    let r = c
        .mc(
            "GET",
            "/api/agents/paged-poster/jobs?role=worker",
            None,
            None,
        )
        .await;
    assert_eq!(r.body["jobs"], json!([]));
    for (query, field) in [
        ("role=boss", "role"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("status=lost", "status"),
    ] {
        let r = c
            .mc(
                "GET",
                &format!("/api/agents/paged-poster/jobs?{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.body["field"], field);
    }
    assert_eq!(
        c.mc("GET", "/api/agents/nobody/jobs", None, None)
            .await
            .status,
        404
    );
}
