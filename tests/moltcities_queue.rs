//! The durable offline queue: it survives a restart (even a kill), and its cap keeps the
//! newest notifications for replay while the feed keeps everything.

mod common;

use common::mc_ws::{dm, Ws, QUIET};
use common::{Database, Server};
use serde_json::Value;

async fn replay(ws: &mut Ws) -> Vec<Value> {
    let mut out = Vec::new();
    while let common::mc_ws::Read::Json(v) = ws.read(QUIET).await {
        out.push(v);
    }
    out
}

/// The `preview` of each notification frame, in order.
fn previews(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f["data"]["preview"].as_str().unwrap().to_string())
        .collect()
}

#[actix_rt::test]
async fn queued_notifications_are_replayed_after_a_kill_and_restart() {
    let db = Database::fresh();
    let (ada, bob);
    {
        let mut s = Server::on(&db.url, &[]);
        let c = s.client();
        ada = c.register("ada").await;
        bob = c.register("bob").await;
        for i in 1..=3 {
            dm(&c, &bob, &ada, &format!("offline {i}")).await;
        }
        s.kill();
    }
    let s = Server::on(&db.url, &[]);
    let (mut ws, connected) = Ws::personal(&s, &ada).await;
    assert_eq!(connected["agent_id"], ada.id);
    let frames = replay(&mut ws).await;
    assert_eq!(
        previews(&frames),
        ["offline 1", "offline 2", "offline 3"],
        "oldest first"
    );
    assert!(frames
        .iter()
        .all(|f| f["queued"] == true && f["event_type"] == "inbox.message"));
    // Acked ones are gone on the next connect; unacked ones come back.
    ws.send(serde_json::json!({"type": "ack", "notification_id": frames[0]["id"]}))
        .await;
    ws.ping().await;
    ws.close().await;
    let (mut again, _) = Ws::personal(&s, &ada).await;
    assert_eq!(
        previews(&replay(&mut again).await),
        ["offline 2", "offline 3"]
    );
}

#[actix_rt::test]
async fn the_replay_cap_keeps_the_newest_and_the_feed_keeps_all() {
    let s = Server::start_with(&[("AGENTGATE_NOTIFICATION_QUEUE_CAP", "2")]);
    let c = s.client();
    let ada = c.register("ada").await;
    let bob = c.register("bob").await;
    for i in 1..=4 {
        dm(&c, &bob, &ada, &format!("m{i}")).await;
    }
    let (mut ws, _) = Ws::personal(&s, &ada).await;
    assert_eq!(previews(&replay(&mut ws).await), ["m3", "m4"]);
    let feed = c
        .mc("GET", "/api/notifications", Some(&ada.token), None)
        .await;
    assert_eq!(feed.body["count"], 4, "{}", feed.body);
    assert_eq!(feed.body["unread_count"], 4);
}

#[actix_rt::test]
async fn acks_and_reads_make_room_under_the_cap() {
    let s = Server::start_with(&[("AGENTGATE_NOTIFICATION_QUEUE_CAP", "2")]);
    let c = s.client();
    let ada = c.register("ada").await;
    let bob = c.register("bob").await;
    dm(&c, &bob, &ada, "m1").await;
    dm(&c, &bob, &ada, "m2").await;
    let (mut ws, _) = Ws::personal(&s, &ada).await;
    let frames = replay(&mut ws).await;
    assert_eq!(previews(&frames), ["m1", "m2"]);
    // One acknowledged over the socket, one read over REST: the queue is empty again.
    ws.send(serde_json::json!({"type": "ack", "notification_id": frames[0]["id"]}))
        .await;
    ws.ping().await;
    ws.close().await;
    let read = c
        .mc(
            "POST",
            "/api/notifications/read",
            Some(&ada.token),
            Some(serde_json::json!({"ids": [frames[1]["id"]]})),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    // Two more fit under the cap of 2 without pushing anything out: had the queue depth not
    // dropped with the ack and the read, m3 would have fallen out of the replay.
    dm(&c, &bob, &ada, "m3").await;
    dm(&c, &bob, &ada, "m4").await;
    let (mut again, _) = Ws::personal(&s, &ada).await;
    assert_eq!(previews(&replay(&mut again).await), ["m3", "m4"]);
    // A fifth pushes the oldest queued one (m3) out, and only that one.
    dm(&c, &bob, &ada, "m5").await;
    again.close().await;
    let (mut third, _) = Ws::personal(&s, &ada).await;
    assert_eq!(previews(&replay(&mut third).await), ["m4", "m5"]);
}
