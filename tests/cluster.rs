//! Cluster mode: several nodes on one PostgreSQL database with Redis between them. Each test
//! starts its own nodes and its own Redis; they run in the PostgreSQL pass of the test command.

mod common;

use std::time::Duration;

use common::cluster::{Cluster, Relay};
use common::mc_ws::{dm, ws_url, Ws};
use common::sio::Sio;
use common::web::{claim_token, Browser, PASSWORD};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// The `notify:session` pushes a socket gets within `wait` of the last one, as message ids.
async fn pushed_ids(sock: &mut Sio, want: usize) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < want {
        match sock.next_named("notify:session", WAIT).await {
            Some(p) => ids.push(p["message"]["id"].as_str().unwrap().to_string()),
            None => break,
        }
    }
    ids
}

/// The ids of a session's messages in seq order, from the database.
async fn history(c: &common::Client, a: &common::Agent, sid: &str) -> Vec<String> {
    let h = c
        .call(
            a,
            "sessions/messages",
            json!({"sessionId": sid, "limit": 100}),
        )
        .await;
    let mut msgs = h.data()["messages"].as_array().unwrap().clone();
    msgs.sort_by_key(|m| m["seq"].as_i64().unwrap_or(0));
    msgs.iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect()
}

#[actix_rt::test]
async fn messages_sent_on_two_nodes_reach_a_socket_on_a_third_once_and_in_seq_order() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let (n0, n1, n2) = (
        cluster.nodes[0].client(),
        cluster.nodes[1].client(),
        cluster.nodes[2].client(),
    );
    let (a, b) = (n0.register("alice").await, n1.register("bob").await);
    let sid = n1.session(&b, &[&a]).await;
    let mut sock = Sio::with_token(&cluster.nodes[0].base, &a.token).await;
    assert_eq!(
        sock.call("session:subscribe", json!({"sessionId": "*"}))
            .await,
        json!({"result": true, "success": true})
    );
    // 40 sends at once, half through each of two other nodes: concurrent writers on one
    // conversation.
    let sends = (0..40).map(|i| {
        let (c, b, sid) = (if i % 2 == 0 { &n1 } else { &n2 }, &b, &sid);
        async move { c.say(b, sid, &format!("m{i}")).await }
    });
    let sent = futures::future::join_all(sends).await;
    assert_eq!(sent.len(), 40);
    let pushed = pushed_ids(&mut sock, 40).await;
    let stored = history(&n0, &a, &sid).await;
    assert_eq!(stored.len(), 40, "every send is stored");
    assert_eq!(pushed, stored, "pushed once each, in seq order");
    // The node's metrics show the cluster: two other nodes, payloads received from them.
    let metrics = awc::Client::default()
        .get(cluster.nodes[0].url("/metrics"))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains("\nagentgate_cluster_nodes 2\n"),
        "{metrics}"
    );
    let received = metrics
        .lines()
        .find_map(|l| l.strip_prefix("agentgate_bus_payloads_total{outcome=\"received\"} "))
        .and_then(|v| v.parse::<u64>().ok())
        .expect("bus payloads received");
    assert!(received >= 20, "{received}");
    assert!(sock
        .next_named("notify:session", Duration::from_millis(500))
        .await
        .is_none());
}

#[actix_rt::test]
async fn a_mochat_dm_on_one_node_reaches_a_moltcities_socket_on_another() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (n0, n1) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let (city, _) = n0.citizen("City", "city-agent").await;
    let m = n1.register("mochat_one").await;
    let city_agent = city.agent();
    let (mut ws, _) = Ws::personal(&cluster.nodes[0], &city_agent).await;
    dm(&n1, &m, &city_agent, "across the cluster").await;
    let frame: Value = ws.json().await;
    assert_eq!(frame["event_type"], "inbox.message", "{frame}");
    assert_eq!(frame["data"]["preview"], "across the cluster", "{frame}");
    assert_eq!(frame["data"]["from"]["id"], m.id, "{frame}");
}

#[actix_rt::test]
async fn a_watch_on_one_node_wakes_for_a_send_on_another() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (n0, n1) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let (a, b) = (n0.register("alice").await, n0.register("bob").await);
    let sid = n0.session(&a, &[&b]).await;
    let watcher = {
        let (a, sid) = (a.clone(), sid.clone());
        actix_rt::spawn(async move {
            n0.call(
                &a,
                "sessions/watch",
                json!({"sessionId": sid, "cursor": 0, "timeoutMs": 20000}),
            )
            .await
        })
    };
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    n1.say(&b, &sid, "wake up").await;
    let r = watcher.await.unwrap();
    assert_eq!(r.data()["cursor"], 1);
    assert_eq!(r.data()["events"][0]["payload"]["content"], "wake up");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[actix_rt::test]
async fn after_redis_restarts_live_delivery_resumes_and_the_gap_is_filled_from_the_database() {
    let Some(mut cluster) = Cluster::start(2) else {
        return;
    };
    let (n0, n1) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let (a, b) = (n0.register("alice").await, n1.register("bob").await);
    let sid = n1.session(&b, &[&a]).await;
    let mut sock = Sio::with_token(&cluster.nodes[0].base, &a.token).await;
    sock.call("session:subscribe", json!({"sessionId": "*"}))
        .await;
    for i in 0..3 {
        n1.say(&b, &sid, &format!("before {i}")).await;
    }
    assert_eq!(pushed_ids(&mut sock, 3).await.len(), 3);
    // Redis dies: these are committed, but the bus loses them.
    cluster.redis.kill();
    for i in 0..3 {
        n1.say(&b, &sid, &format!("during {i}")).await;
    }
    cluster.redis.restart();
    // Once the nodes subscribe again, node 0 reads what it missed from the database.
    let filled = pushed_ids(&mut sock, 3).await;
    n1.say(&b, &sid, "after").await;
    let after = pushed_ids(&mut sock, 1).await;
    let stored = history(&n0, &a, &sid).await;
    assert_eq!(stored.len(), 7);
    assert_eq!(filled, stored[3..6], "the gap, filled in order");
    assert_eq!(after, stored[6..7], "live again");
}

#[actix_rt::test]
async fn a_personal_socket_opened_on_another_node_closes_the_old_one_with_4003() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let n0 = cluster.nodes[0].client();
    let (a, b) = (n0.register("ada").await, n0.register("bob").await);
    let (mut old, _) = Ws::personal(&cluster.nodes[0], &a).await;
    let (mut new, _) = Ws::personal(&cluster.nodes[1], &a).await;
    assert_eq!(
        old.close_frame(WAIT).await,
        (4003, "New connection opened".to_string())
    );
    // The new socket is the one that gets the agent's notifications, whichever node sends.
    dm(&n0, &b, &a, "to the new socket").await;
    let frame: Value = new.json().await;
    assert_eq!(frame["event_type"], "inbox.message", "{frame}");
    assert_eq!(frame["data"]["preview"], "to the new socket", "{frame}");
}

/// Whether `who` reads as online in `sessions/detail` asked on one node.
async fn online_in(c: &common::Client, asker: &common::Agent, sid: &str, who: &str) -> bool {
    let d = c
        .call(asker, "sessions/detail", json!({"sessionId": sid}))
        .await;
    let people = d.data()["participants"].as_array().unwrap().clone();
    people
        .iter()
        .find(|p| p["id"] == who)
        .map(|p| p["online"] == true)
        .unwrap()
}

#[actix_rt::test]
async fn presence_spans_nodes_and_a_killed_nodes_agents_go_offline_within_8_s() {
    let Some(mut cluster) = Cluster::start(2) else {
        return;
    };
    let n1 = cluster.nodes[1].client();
    let (a, b) = (n1.register("ada").await, n1.register("bob").await);
    let sid = n1.session(&b, &[&a]).await;
    assert!(!online_in(&n1, &b, &sid, &a.id).await);
    let _sock = Sio::with_token(&cluster.nodes[0].base, &a.token).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while !online_in(&n1, &b, &sid, &a.id).await {
        assert!(
            std::time::Instant::now() < deadline,
            "ada never read as online on node 1"
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    let health = n1.get("/health").await.body;
    assert_eq!(health["connectedUsers"], 1, "{health}");
    // Node 0 dies without a word: node 1 stops hearing it and takes ada offline.
    cluster.nodes[0].kill();
    let killed = std::time::Instant::now();
    while online_in(&n1, &b, &sid, &a.id).await {
        assert!(
            killed.elapsed() < Duration::from_secs(8),
            "ada still online {:?} after node 0 died",
            killed.elapsed()
        );
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    let health = n1.get("/health").await.body;
    assert_eq!(health["connectedUsers"], 0, "{health}");
}

#[actix_rt::test]
async fn rate_limits_hold_for_the_whole_cluster_not_per_node() {
    let Some(cluster) = Cluster::start_via(
        3,
        None,
        &[
            ("AGENTGATE_RATE_LIMIT_PER_MIN", "12"),
            ("AGENTGATE_CHAT_RATE_LIMIT_SECS", "30"),
        ],
    ) else {
        return;
    };
    let clients: Vec<common::Client> = cluster.nodes.iter().map(|n| n.client()).collect();
    let a = clients[0].register("limited").await;
    // 12 requests a minute for the agent, spread over three nodes: the 13th is refused,
    // whichever node it reaches (one node alone would have allowed 36).
    let mut statuses = Vec::new();
    for i in 0..15 {
        let r = clients[i % 3].call(&a, "sessions/list", json!({})).await;
        statuses.push(r.status);
    }
    assert_eq!(statuses[..12], [200; 12], "{statuses:?}");
    assert_eq!(statuses[12..], [429; 3], "{statuses:?}");
    // One town-square post per 30 s: a second one through another node is refused too.
    let b = clients[1].register("chatty").await;
    let post = |text: &str| json!({"panelId": common::TOWN_SQUARE, "content": text});
    let first = clients[1]
        .call(&b, "groups/panels/send", post("first"))
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let second = clients[2]
        .call(&b, "groups/panels/send", post("second"))
        .await;
    assert_eq!(second.status, 429, "{:?}", second.body);
}

/// The next frame of a MoltCities socket of this `type`, skipping others (presence).
async fn next_of_type(ws: &mut Ws, kind: &str) -> Value {
    for _ in 0..10 {
        let frame = ws.json().await;
        if frame["type"] == kind {
            return frame;
        }
    }
    panic!("no {kind} frame");
}

#[actix_rt::test]
async fn the_town_square_on_one_node_meets_the_panel_and_its_mentions_on_others() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let (n0, n1) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let m = n1.register("mochat_one").await;
    let (city, _) = n0.citizen("City", "city-agent").await;
    let city_agent = city.agent();
    let (mut square, _) = Ws::square(&cluster.nodes[0], &city_agent).await;
    let (mut personal, _) = Ws::personal(&cluster.nodes[2], &city_agent).await;
    // A MoChat panel post through node 1 is town-square chat on node 0 and a mention on node 2.
    let sent = n1
        .call(
            &m,
            "groups/panels/send",
            json!({"panelId": common::TOWN_SQUARE, "content": "welcome @city-agent"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    let chat = next_of_type(&mut square, "chat").await;
    assert_eq!(chat["message"], "welcome @city-agent", "{chat}");
    assert_eq!(chat["agent_id"], m.id, "{chat}");
    let mention: Value = personal.json().await;
    assert_eq!(mention["event_type"], "mention", "{mention}");
    assert_eq!(mention["data"]["context"], "panel", "{mention}");
    assert_eq!(mention["data"]["by_agent_id"], m.id, "{mention}");
}

#[actix_rt::test]
async fn a_browser_on_one_node_sees_an_agent_write_through_another() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (n0, n1) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let agent = n0.register("pal").await;
    let bound = n0
        .call(
            &agent,
            "agents/bind",
            json!({"email": "o@example.com", "greeting_msg": "greetings"}),
        )
        .await;
    let sid = bound.data()["sessionId"].as_str().unwrap().to_string();
    // The owner claims the account through node 0 and opens the live channel on node 1.
    let mut browser = Browser::new(&cluster.nodes[0]);
    let token = claim_token(bound.data()["claimUrl"].as_str().unwrap());
    let r = browser
        .post(
            "/web/api/claim",
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let cookie = format!("agentgate_session={}", browser.cookie.clone().unwrap());
    let node1 = &cluster.nodes[1];
    let mut live = Ws::try_open_with(
        &ws_url(node1, "/web/live"),
        &[("Cookie", &cookie), ("Origin", &node1.base)],
    )
    .await
    .expect("live channel");
    assert_eq!(live.json().await["type"], "ready");
    let sent = n1.say(&agent, &sid, "How can I help?").await;
    let ev = live.json().await;
    assert_eq!(ev["type"], "message", "{ev}");
    assert_eq!(ev["message"]["id"], sent["messageId"], "{ev}");
    assert_eq!(ev["message"]["content"], "How can I help?");
    assert_eq!(ev["message"]["seq"], 2, "after the greeting: {ev}");
}

#[actix_rt::test]
async fn the_town_square_counts_and_announces_members_on_every_node() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (n0, n1) = (cluster.nodes[0].client(), cluster.nodes[1].client());
    let (a, b) = (n0.register("ada").await, n1.register("bob").await);
    let (mut on0, connected) = Ws::square(&cluster.nodes[0], &a).await;
    assert_eq!(connected["online_count"], 1);
    // Bob joins on node 1: he counts ada on node 0, and ada hears of him.
    let (bob_ws, connected) = Ws::square(&cluster.nodes[1], &b).await;
    assert_eq!(connected["online_count"], 2, "{connected}");
    let joined = next_of_type(&mut on0, "presence").await;
    assert_eq!(joined["event"], "joined", "{joined}");
    assert_eq!(joined["agent"]["id"], b.id, "{joined}");
    assert_eq!(joined["online_count"], 2, "{joined}");
    // Bob leaves: ada hears it, with the count after.
    bob_ws.close().await;
    let left = next_of_type(&mut on0, "presence").await;
    assert_eq!(left["event"], "left", "{left}");
    assert_eq!(left["agent"]["id"], b.id, "{left}");
    assert_eq!(left["online_count"], 1, "{left}");
}

#[actix_rt::test]
async fn failed_authentications_count_on_every_node() {
    let Some(cluster) = Cluster::start_via(3, None, &[("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "4")])
    else {
        return;
    };
    let clients: Vec<common::Client> = cluster.nodes.iter().map(|n| n.client()).collect();
    let forged = common::Agent {
        token: "claw_forged".into(),
        id: String::new(),
        username: String::new(),
    };
    // Four bad tokens from one address, spread over three nodes: each node alone has seen at
    // most two, yet the address is refused everywhere from the fifth request on.
    for i in 0..4 {
        let r = clients[i % 3]
            .call(&forged, "sessions/list", json!({}))
            .await;
        assert_eq!(r.status, 401, "{:?}", r.body);
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    for c in &clients {
        let r = c.call(&forged, "sessions/list", json!({})).await;
        assert_eq!(r.status, 429, "{:?}", r.body);
    }
}

#[actix_rt::test]
async fn a_node_cut_off_from_redis_without_a_word_notices_and_catches_up() {
    let Some(cluster) = Cluster::start(1) else {
        return;
    };
    // Node 1 reaches Redis through a relay that can lose everything without closing anything.
    let relay = Relay::to(format!("127.0.0.1:{}", cluster.redis.port));
    let node1 = common::Server::on(
        &cluster.database_url,
        &[("AGENTGATE_BUS", &relay.url("redis"))],
    );
    let (c0, c1) = (cluster.nodes[0].client(), node1.client());
    let (a, b) = (c1.register("ada").await, c0.register("bob").await);
    let sid = c0.session(&b, &[&a]).await;
    let mut sock = Sio::with_token(&node1.base, &a.token).await;
    sock.call("session:subscribe", json!({"sessionId": "*"}))
        .await;
    c0.say(&b, &sid, "before").await;
    assert_eq!(pushed_ids(&mut sock, 1).await.len(), 1);
    relay.set_silent(true);
    for i in 0..3 {
        c0.say(&b, &sid, &format!("during {i}")).await;
    }
    // Three heartbeats go unheard: node 1 drops the subscription and tries again.
    actix_rt::time::sleep(Duration::from_secs(7)).await;
    relay.set_silent(false);
    // With no new message to reveal the gap, node 1 reads what it missed once it is back.
    let filled = pushed_ids(&mut sock, 3).await;
    let stored = history(&c0, &b, &sid).await;
    assert_eq!(stored.len(), 4);
    assert_eq!(filled, stored[1..4], "the missed messages, in order");
}
