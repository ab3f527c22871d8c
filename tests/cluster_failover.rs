//! Cluster mode under failure, for real: three nodes behind HAProxy on one PostgreSQL database
//! with Redis between them; nodes killed with SIGKILL under load, PostgreSQL cut off. They run
//! in the PostgreSQL pass of the test command.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::cluster::{Cluster, Haproxy, Relay};
use common::mc_ws::{Read, Ws};
use common::sio::Sio;
use common::Client;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

/// One POST that may fail any way a dying node fails: `None` when no answer came.
async fn try_post(base: &str, path: &str, auth: (&str, &str), body: Value) -> Option<(u16, Value)> {
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let mut res = http
        .post(format!("{base}{path}"))
        .insert_header(auth)
        .insert_header(("Content-Type", "application/json"))
        .send_body(body.to_string())
        .await
        .ok()?;
    let bytes = res.body().limit(1 << 20).await.ok()?;
    Some((
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
}

/// A conversation's messages as (id, seq), in seq order, straight from PostgreSQL.
fn stored(db: &str, conversation: &str) -> Vec<(String, i64)> {
    let mut conn = diesel::PgConnection::establish(db).expect("database");
    diesel::sql_query("SELECT id, seq FROM messages WHERE conversation_id = $1 ORDER BY seq")
        .bind::<diesel::sql_types::Text, _>(conversation)
        .load::<Row>(&mut conn)
        .expect("messages")
        .into_iter()
        .map(|r| (r.id, r.seq))
        .collect()
}

/// A MoltCities socket's notification previews until it closes or `quiet` passes in silence.
async fn previews_until_closed(ws: &mut Ws, quiet: Duration, out: &mut Vec<String>) {
    loop {
        match ws.read(quiet).await {
            Read::Json(v) => {
                if let Some(p) = v["data"]["preview"].as_str() {
                    out.push(p.to_string());
                }
            }
            Read::Pong(_) => {}
            Read::Closed(_) | Read::Timeout => return,
        }
    }
}

#[actix_rt::test]
async fn ten_kill_9s_under_load_on_both_wires_lose_no_accepted_write() {
    let Some(mut cluster) = Cluster::start(3) else {
        return;
    };
    let lb = Haproxy::start(&cluster.ports);
    let c = Client::new(&lb.base);
    let (a, b) = (c.register("fo_a").await, c.register("fo_b").await);
    let sid = c.session(&b, &[&a]).await;
    let (writer, _) = c.citizen("Writer", "writer-city").await;
    let (reader, _) = c.citizen("Reader", "reader-city").await;
    let done = Rc::new(RefCell::new(false));

    // MoChat: one agent sends into a session as fast as answers come, through the proxy.
    let mochat = {
        let (base, b, sid, done) = (lb.base.clone(), b.clone(), sid.clone(), done.clone());
        actix_rt::spawn(async move {
            let (mut accepted, mut failed, mut i) = (Vec::new(), 0u32, 0u32);
            while !*done.borrow() {
                i += 1;
                let body = json!({"sessionId": sid, "content": format!("mo-{i}")});
                match try_post(
                    &base,
                    "/api/claw/sessions/send",
                    ("X-Claw-Token", &b.token),
                    body,
                )
                .await
                {
                    Some((200, v)) => {
                        accepted.push(v["data"]["message"]["id"].as_str().unwrap().to_string())
                    }
                    _ => {
                        failed += 1;
                        actix_rt::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (accepted, failed)
        })
    };
    // MoltCities: one citizen writes to another's inbox, through the proxy.
    let moltcities = {
        let (base, key, done) = (lb.base.clone(), writer.key.clone(), done.clone());
        actix_rt::spawn(async move {
            let (mut accepted, mut i) = (Vec::new(), 0u32);
            while !*done.borrow() {
                i += 1;
                let content = format!("mc-{i}");
                let body = json!({"subject": "failover", "body": content});
                let auth = format!("Bearer {key}");
                match try_post(
                    &base,
                    "/api/agents/reader-city/message",
                    ("Authorization", &auth),
                    body,
                )
                .await
                {
                    Some((201, _)) => accepted.push(content),
                    _ => actix_rt::time::sleep(Duration::from_millis(20)).await,
                }
            }
            accepted
        })
    };
    // The reader keeps a personal socket open through the proxy and reconnects when its node
    // dies; it never acks, so every notification stays queued for the final replay.
    let live = {
        let (url, done) = (
            format!(
                "{}/api/notifications/connect?token={}",
                lb.base.replacen("http", "ws", 1),
                reader.key
            ),
            done.clone(),
        );
        actix_rt::spawn(async move {
            let (mut seen, mut connections) = (Vec::new(), 0u32);
            while !*done.borrow() {
                match Ws::try_open(&url, None).await {
                    Ok(mut ws) => {
                        connections += 1;
                        previews_until_closed(&mut ws, Duration::from_millis(500), &mut seen).await;
                    }
                    Err(_) => actix_rt::time::sleep(Duration::from_millis(100)).await,
                }
            }
            (seen, connections)
        })
    };

    for kill in 0..10 {
        actix_rt::time::sleep(Duration::from_millis(1200)).await;
        let i = kill % 3;
        cluster.nodes[i].kill();
        actix_rt::time::sleep(Duration::from_millis(300)).await;
        cluster.restart_node(i);
    }
    actix_rt::time::sleep(Duration::from_millis(1000)).await;
    *done.borrow_mut() = true;
    let (mochat_ok, mochat_failed) = mochat.await.unwrap();
    let moltcities_ok = moltcities.await.unwrap();
    let (live_seen, connections) = live.await.unwrap();
    eprintln!(
        "failover: {} MoChat sends accepted ({mochat_failed} failed), {} MoltCities sends accepted, \
         {} live notifications over {connections} connections",
        mochat_ok.len(),
        moltcities_ok.len(),
        live_seen.len()
    );
    assert!(
        mochat_ok.len() >= 50 && moltcities_ok.len() >= 50,
        "the load ran"
    );
    assert!(
        connections >= 2,
        "the reader reconnected through the proxy: {connections}"
    );

    // MoChat: every accepted message is stored, in the order it was accepted, seqs dense.
    let conv = sid.trim_start_matches("session_");
    let rows = stored(&cluster.db.url, conv);
    let seqs: Vec<i64> = rows.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        seqs,
        (1..=rows.len() as i64).collect::<Vec<_>>(),
        "seq dense from 1"
    );
    let order: Vec<&String> = rows
        .iter()
        .map(|(id, _)| id)
        .filter(|id| mochat_ok.contains(id))
        .collect();
    assert_eq!(
        order.len(),
        mochat_ok.len(),
        "0 accepted MoChat writes lost"
    );
    assert!(
        order.iter().zip(&mochat_ok).all(|(x, y)| *x == y),
        "kept in accepted order"
    );

    // MoltCities: a fresh socket's replay holds every accepted message, oldest first.
    let url = format!(
        "{}/api/notifications/connect?token={}",
        lb.base.replacen("http", "ws", 1),
        reader.key
    );
    let mut ws = Ws::try_open(&url, None).await.expect("final socket");
    let mut replayed = Vec::new();
    previews_until_closed(&mut ws, Duration::from_millis(1500), &mut replayed).await;
    let in_replay: Vec<&String> = replayed
        .iter()
        .filter(|p| moltcities_ok.contains(p))
        .collect();
    let mut unique = in_replay.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        in_replay.len(),
        "the replay holds each notification once"
    );
    assert_eq!(
        in_replay.len(),
        moltcities_ok.len(),
        "0 accepted MoltCities writes lost"
    );
    assert!(
        in_replay.iter().zip(&moltcities_ok).all(|(x, y)| *x == y),
        "oldest first"
    );
    // Live delivery was at least once within what was accepted: nothing live that was not.
    assert!(live_seen.iter().all(|p| p.starts_with("mc-")));

    // And live delivery works across the restarted nodes: a MoChat socket through the proxy
    // gets a new message sent through the proxy.
    let mut sock = Sio::with_token(&lb.base, &a.token).await;
    sock.call("session:subscribe", json!({"sessionId": "*"}))
        .await;
    let sent = c.say(&b, &sid, "after the storm").await;
    let push = sock
        .next_named("notify:session", Duration::from_secs(10))
        .await
        .expect("push");
    assert_eq!(push["message"]["id"], sent["id"]);
}

#[actix_rt::test]
async fn postgresql_cut_off_for_10_s_answers_clear_503s_and_recovers_by_itself() {
    let relay = Relay::to_postgres();
    let Some(cluster) = Cluster::start_via(2, Some(&relay), &[]) else {
        return;
    };
    let c = cluster.nodes[0].client();
    let (a, b) = (c.register("pg_a").await, c.register("pg_b").await);
    let sid = c.session(&b, &[&a]).await;
    let base = cluster.nodes[1].base.clone();
    let send = |i: u32| {
        let (base, token, sid) = (base.clone(), b.token.clone(), sid.clone());
        async move {
            let body = json!({"sessionId": sid, "content": format!("pg-{i}")});
            try_post(
                &base,
                "/api/claw/sessions/send",
                ("X-Claw-Token", &token),
                body,
            )
            .await
        }
    };
    let mut accepted = Vec::new();
    for i in 0..5 {
        let (status, v) = send(i).await.expect("answer");
        assert_eq!(status, 200, "{v}");
        accepted.push(v["data"]["message"]["id"].as_str().unwrap().to_string());
    }
    relay.set_cut(true);
    let cut = Instant::now();
    let mut refused = 0;
    let mut i = 100;
    while cut.elapsed() < Duration::from_secs(10) {
        i += 1;
        let started = Instant::now();
        let (status, v) = send(i).await.expect("an answer, not a hang");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "answered in {:?}",
            started.elapsed()
        );
        match status {
            200 => accepted.push(v["data"]["message"]["id"].as_str().unwrap().to_string()),
            503 => {
                refused += 1;
                assert_eq!(v["name"], "SERVICE_UNAVAILABLE", "{v}");
                assert!(
                    v["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("the database is unavailable"),
                    "{v}"
                );
            }
            other => panic!("{other}: {v}"),
        }
    }
    // Refused fast: after one check-out fails, the node refuses at once for a second instead
    // of letting every request wait out the 3 s check-out timeout (that would allow about 4).
    assert!(
        refused >= 20,
        "writes were refused at once while the database was away: {refused}"
    );
    relay.set_cut(false);
    let back = Instant::now();
    loop {
        i += 1;
        if let Some((200, v)) = send(i).await {
            accepted.push(v["data"]["message"]["id"].as_str().unwrap().to_string());
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(15), "no recovery");
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "PostgreSQL cut: {refused} refusals; recovered in {:?}",
        back.elapsed()
    );
    let rows = stored(&cluster.db.url, sid.trim_start_matches("session_"));
    let ids: Vec<&String> = rows.iter().map(|(id, _)| id).collect();
    assert!(
        accepted.iter().all(|id| ids.contains(&id)),
        "no accepted write lost"
    );
    assert!(
        rows.len() <= accepted.len() + 1,
        "nothing refused was kept (one may have been cut after its COMMIT)"
    );
    // Nothing half-written: seqs stay dense.
    let seqs: Vec<i64> = rows.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, (1..=rows.len() as i64).collect::<Vec<_>>());
}

#[actix_rt::test]
async fn engine_io_long_polling_needs_the_proxys_sticky_cookie() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let lb = Haproxy::start(&cluster.ports);
    let http = awc::Client::default();
    // The handshake: HAProxy answers with the node's cookie.
    let mut res = http
        .get(format!("{}/socket.io/?EIO=4&transport=polling", lb.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .expect("SERVERID cookie");
    assert!(cookie.starts_with("SERVERID=n"), "{cookie}");
    let open = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    let handshake: Value = serde_json::from_str(open.trim_start_matches('0')).unwrap();
    let sid = handshake["sid"].as_str().unwrap().to_string();
    // With the cookie, every request of the session reaches the node that holds it.
    for packet in ["40", "6", "6"] {
        let res = http
            .post(format!(
                "{}/socket.io/?EIO=4&transport=polling&sid={sid}",
                lb.base
            ))
            .insert_header(("Cookie", cookie.as_str()))
            .send_body(packet)
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "a POST with the cookie");
    }
    let mut res = http
        .get(format!(
            "{}/socket.io/?EIO=4&transport=polling&sid={sid}",
            lb.base
        ))
        .insert_header(("Cookie", cookie.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(
        body.starts_with("44"),
        "the namespace answered (no token: refused): {body}"
    );
    // Without it, round robin sends requests to nodes that never heard of the session.
    let mut unknown = 0;
    for _ in 0..6 {
        let res = http
            .post(format!(
                "{}/socket.io/?EIO=4&transport=polling&sid={sid}",
                lb.base
            ))
            .send_body("6")
            .await
            .unwrap();
        if res.status() == 400 {
            unknown += 1;
        }
    }
    assert!(
        unknown >= 3,
        "without stickiness most polls miss the session: {unknown} of 6"
    );
}
