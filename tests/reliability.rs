//! Faults: kill -9 at random moments while agents write over both wires — every write that got
//! a 2xx is there after the restart, nothing twice — and a locked database answers 503 and the
//! server recovers.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Server;
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use serde_json::json;

/// Kills in one run (the issue asks for at least 20).
const KILLS: usize = 20;

#[actix_rt::test]
async fn no_accepted_write_is_lost_across_repeated_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let (a, b, sid);
    {
        let s = Server::on(&db, &[]);
        let c = s.client();
        a = c.register("crash_a").await;
        b = c.register("crash_b").await;
        sid = c.session(&a, &[&b]).await;
    }
    // What each wire accepted (2xx), by content.
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut attempted = 0usize;
    for round in 0..KILLS {
        let mut s = Server::on(&db, &[]);
        let stop = Instant::now() + Duration::from_millis(60 + (round as u64 * 37) % 200);
        let mut writers = Vec::new();
        for w in 0..4 {
            let (c, a, b, sid, accepted) = (
                s.client(),
                a.clone(),
                b.clone(),
                sid.clone(),
                accepted.clone(),
            );
            writers.push(actix_rt::spawn(async move {
                let mut n = 0;
                while Instant::now() < stop {
                    let content = format!("r{round}w{w}n{n}");
                    n += 1;
                    // Alternate the wires: MoChat session sends and MoltCities inbox messages.
                    let ok = if n % 2 == 0 {
                        let url = format!("{}/api/claw/sessions/send", c.base);
                        let body = json!({"sessionId": sid, "content": content});
                        match c
                            .http
                            .post(url)
                            .insert_header(("X-Claw-Token", a.token.as_str()))
                            .send_json(&body)
                            .await
                        {
                            Ok(r) => r.status().is_success(),
                            Err(_) => false,
                        }
                    } else {
                        let url = format!("{}/api/agents/{}/message", c.base, a.id);
                        let body = json!({"body": content});
                        match c
                            .http
                            .post(url)
                            .insert_header(("Authorization", format!("Bearer {}", b.token)))
                            .send_json(&body)
                            .await
                        {
                            Ok(r) => r.status().is_success(),
                            Err(_) => false,
                        }
                    };
                    if ok {
                        accepted.lock().unwrap().push(content);
                    }
                }
                n
            }));
        }
        actix_rt::time::sleep_until(stop.into()).await;
        s.kill();
        for w in writers {
            attempted += w.await.unwrap_or(0);
        }
    }
    let s = Server::on(&db, &[]);
    let c = s.client();
    let mut stored: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"sessionId": sid, "limit": 100});
        if let Some(cur) = &cursor {
            body["cursor"] = json!(cur);
        }
        let page = c.call(&a, "sessions/messages", body).await;
        let d = page.data().clone();
        stored.extend(
            d["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap().to_string()),
        );
        match d["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let accepted = accepted.lock().unwrap().clone();
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no message stored twice");
    let lost: Vec<&String> = accepted.iter().filter(|m| !unique.contains(m)).collect();
    eprintln!(
        "kill -9 x{KILLS}: {attempted} writes attempted, {} accepted (2xx), {} stored, {} lost",
        accepted.len(),
        stored.len(),
        lost.len()
    );
    assert!(
        accepted.len() > KILLS,
        "the writers got work done between kills: {}",
        accepted.len()
    );
    assert!(lost.is_empty(), "accepted but lost: {lost:?}");
    // The seq of the log has no gap and no repeat, from 1 to the number of messages.
    let mut seqs: Vec<i64> = Vec::new();
    while seqs.len() < stored.len() {
        let cursor = seqs.last().copied().unwrap_or(0);
        let page = c
            .call(
                &a,
                "sessions/watch",
                json!({"sessionId": sid, "cursor": cursor, "limit": 500, "timeoutMs": 0}),
            )
            .await;
        let batch: Vec<i64> = page.data()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert!(!batch.is_empty(), "the log ends before the history does");
        seqs.extend(batch);
    }
    let expected: Vec<i64> = (1..=stored.len() as i64).collect();
    assert_eq!(seqs, expected);
}

#[actix_rt::test]
async fn a_locked_database_answers_503_and_the_server_recovers() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("locked_a").await;
    let b = c.register("locked_b").await;
    let sid = c.session(&a, &[&b]).await;
    // Another process takes the write lock and keeps it longer than the busy timeout (5 s).
    let mut other = SqliteConnection::establish(s.db.to_str().unwrap()).unwrap();
    other.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let r = c
        .call(
            &a,
            "sessions/send",
            json!({"sessionId": sid, "content": "while locked"}),
        )
        .await;
    let m = r.error(503);
    assert!(m.contains("unavailable"), "{m}");
    assert_eq!(r.header("retry-after"), Some("1"));
    other.batch_execute("ROLLBACK").unwrap();
    // Still serving, and the refused write changed nothing.
    let h = c
        .call(&a, "sessions/messages", json!({"sessionId": sid}))
        .await;
    assert_eq!(h.data()["messages"], json!([]));
    c.say(&a, &sid, "after the lock").await;
    let h = c
        .call(&a, "sessions/messages", json!({"sessionId": sid}))
        .await;
    assert_eq!(h.data()["messages"][0]["content"], "after the lock");
}
