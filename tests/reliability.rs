//! Faults: kill -9 at random moments while agents write over both wires — every write that got
//! a 2xx is there after the restart, nothing twice — and a locked database answers 503 and the
//! server recovers.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Agent, Client, Database, Server};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use serde_json::json;

/// Kills in one run (the issue asks for at least 20).
const KILLS: usize = 20;

#[actix_rt::test]
async fn no_accepted_write_is_lost_across_repeated_kill_9() {
    let db = Database::fresh();
    let (a, b, sid);
    {
        let s = Server::on(&db.url, &[]);
        let c = s.client();
        a = c.register("crash_a").await;
        b = c.register("crash_b").await;
        sid = c.session(&a, &[&b]).await;
    }
    // What each wire accepted (2xx), by content.
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut attempted = 0usize;
    for round in 0..KILLS {
        let mut s = Server::on(&db.url, &[]);
        let stop = Instant::now() + Duration::from_millis(60 + (round as u64 * 37) % 200);
        let writers = spawn_writers(&s, &a, &b, &sid, stop, &format!("r{round}"), &accepted);
        actix_rt::time::sleep_until(stop.into()).await;
        s.kill();
        for w in writers {
            attempted += w.await.unwrap_or(0);
        }
    }
    let s = Server::on(&db.url, &[]);
    let c = s.client();
    let stored = history(&c, &a, &sid).await;
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

/// Four writers posting until `stop`, alternating the wires: MoChat session sends a → b and
/// MoltCities inbox messages b → a, all in the same DM. Contents are `<tag>w<writer>n<n>`;
/// odd `n` went over MoltCities. Each returns how many writes it attempted.
fn spawn_writers(
    s: &Server,
    a: &Agent,
    b: &Agent,
    sid: &str,
    stop: Instant,
    tag: &str,
    accepted: &Arc<Mutex<Vec<String>>>,
) -> Vec<actix_rt::task::JoinHandle<usize>> {
    let mut writers = Vec::new();
    for w in 0..4 {
        let (c, a, b, sid, accepted, tag) = (
            s.client(),
            a.clone(),
            b.clone(),
            sid.to_string(),
            accepted.clone(),
            tag.to_string(),
        );
        writers.push(actix_rt::spawn(async move {
            let mut n = 0;
            while Instant::now() < stop {
                let content = format!("{tag}w{w}n{n}");
                n += 1;
                let req = if n % 2 == 1 {
                    c.http
                        .post(format!("{}/api/claw/sessions/send", c.base))
                        .insert_header(("X-Claw-Token", a.token.as_str()))
                        .send_json(&json!({"sessionId": sid, "content": content}))
                } else {
                    c.http
                        .post(format!("{}/api/agents/{}/message", c.base, a.id))
                        .insert_header(("Authorization", format!("Bearer {}", b.token)))
                        .send_json(&json!({"body": content}))
                };
                if req.await.is_ok_and(|r| r.status().is_success()) {
                    accepted.lock().unwrap().push(content);
                }
            }
            n
        }));
    }
    writers
}

/// Every message content of a session, oldest first.
async fn history(c: &Client, a: &Agent, sid: &str) -> Vec<String> {
    let mut stored: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"sessionId": sid, "limit": 100});
        if let Some(cur) = &cursor {
            body["cursor"] = json!(cur);
        }
        let page = c.call(a, "sessions/messages", body).await;
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
            None => return stored,
        }
    }
}

#[actix_rt::test]
async fn a_locked_database_answers_503_and_the_server_recovers() {
    // SQLite's own lock, on either test pass.
    let s = Server::start_on(Database::sqlite(), &[]);
    let c = s.client();
    let a = c.register("locked_a").await;
    let b = c.register("locked_b").await;
    let sid = c.session(&a, &[&b]).await;
    // Another process takes the write lock and keeps it longer than the busy timeout (5 s).
    let mut other = SqliteConnection::establish(&s.db).unwrap();
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

/// A tmpfs of `mib` MiB mounted on a fresh folder; unmounted when dropped. `None` when this
/// process may not mount (not root).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    /// Fills the disk with one file, all but `leave` bytes; returns its path.
    fn fill(&self, leave: u64) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("ballast");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        // Bounded by the disk's size: the write fails with ENOSPC.
        while f.write_all(&chunk).is_ok() {}
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(leave)).unwrap();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[actix_rt::test]
async fn a_full_disk_answers_503_on_both_wires_and_the_server_recovers() {
    let Some(disk) = SmallDisk::mount(8) else {
        // Mounting needs root (CI runs as root); say so rather than pass silently.
        eprintln!("SKIPPED a_full_disk_answers_503…: cannot mount a tmpfs here (not root)");
        return;
    };
    let s = Server::on(&disk.dir.path().join("agentgate.db").to_string_lossy(), &[]);
    let c = s.client();
    let a = c.register("full_a").await;
    let b = c.register("full_b").await;
    let sid = c.session(&a, &[&b]).await;
    let ballast = disk.fill(1024 * 1024);
    // Writes go on while SQLite finds room in pages and WAL frames it already has; then the
    // disk is full: 1 MiB left takes a dozen or so 4 KB messages.
    let filler = "f".repeat(4000);
    let mut accepted = Vec::new();
    let mut refused = None;
    for i in 0..2000 {
        let content = format!("{i} {filler}");
        let r = c
            .call(
                &a,
                "sessions/send",
                json!({"sessionId": sid, "content": content}),
            )
            .await;
        match r.status {
            200 => accepted.push(i),
            _ => {
                refused = Some((i, r));
                break;
            }
        }
    }
    let (at, r) = refused.expect("the disk never filled up");
    assert!(accepted.len() >= 5, "only {} writes fitted", accepted.len());
    let m = r.error(503);
    assert!(m.contains("disk is full"), "{m}");
    assert_eq!(r.header("retry-after"), Some("1"));
    // The MoltCities wire says the same, in its own shape.
    let r = c
        .mc(
            "POST",
            &format!("/api/agents/{}/message", b.id),
            Some(&a.token),
            Some(json!({"subject": "s", "body": filler})),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("disk is full")),
        "{}",
        r.body
    );
    // Still serving: health and reads work, and every accepted write is there, the refused one
    // is not.
    assert_eq!(c.get("/health").await.status, 200);
    let h = c
        .call(
            &a,
            "sessions/messages",
            json!({"sessionId": sid, "limit": 100}),
        )
        .await;
    let last_seq = c
        .call(&a, "sessions/get", json!({"sessionId": sid}))
        .await
        .data()["lastSeq"]
        .as_u64()
        .unwrap();
    assert_eq!(last_seq, accepted.len() as u64);
    assert!(!h.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["content"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{at} "))));
    // Space comes back: writes succeed again without a restart.
    std::fs::remove_file(ballast).unwrap();
    let after = c.say(&a, &sid, "after the disk was freed").await;
    assert_eq!(after["seq"], json!(accepted.len() as u64 + 1), "{after}");
    drop(s);
}

#[actix_rt::test]
async fn sigterm_under_load_loses_nothing_and_exits_0() {
    let db = Database::fresh();
    let mut s = Server::on(&db.url, &[]);
    let c = s.client();
    let a = c.register("term_a").await;
    let b = c.register("term_b").await;
    let sid = c.session(&a, &[&b]).await;
    // A long-poll and a live socket are open when the signal comes: neither may hold the stop.
    let watcher = {
        let (c, a, sid) = (s.client(), a.clone(), sid.clone());
        actix_rt::spawn(async move {
            c.call(
                &a,
                "sessions/watch",
                json!({"sessionId": sid, "cursor": 1_000_000, "timeoutMs": 25_000}),
            )
            .await
            .status
        })
    };
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Instant::now() + Duration::from_secs(3);
    let writers = spawn_writers(&s, &a, &b, &sid, stop, "t", &accepted);
    actix_rt::time::sleep(Duration::from_millis(700)).await;
    let before = accepted.lock().unwrap().len();
    let signalled = Instant::now();
    let status = s.terminate();
    let stopping = signalled.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        stopping < Duration::from_secs(12),
        "stopping took {stopping:?}"
    );
    for w in writers {
        w.await.unwrap();
    }
    let _ = watcher.await;
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        before >= 8,
        "the writers were busy when the signal came: {before}"
    );

    let s = Server::on(&db.url, &[]);
    let c = s.client();
    let stored = history(&c, &a, &sid).await;
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no message stored twice");
    let lost: Vec<&String> = accepted.iter().filter(|m| !unique.contains(m)).collect();
    eprintln!(
        "SIGTERM under load: {} accepted, {} stored, {} lost, stopped in {stopping:?}",
        accepted.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "accepted but lost: {lost:?}");
    // One durable notification per stored DM, still unread, for its recipient.
    let over_moltcities = |m: &&String| {
        m.rsplit('n')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n % 2 == 1)
    };
    let to_a = stored.iter().filter(over_moltcities).count();
    for (agent, want) in [(&a, to_a), (&b, stored.len() - to_a)] {
        let feed = c
            .mc(
                "GET",
                "/api/notifications?limit=1",
                Some(&agent.token),
                None,
            )
            .await
            .body;
        assert_eq!(
            feed["unread_count"],
            json!(want),
            "{}: {feed}",
            agent.username
        );
    }
}
