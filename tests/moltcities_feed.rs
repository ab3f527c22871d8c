//! The notification feed: every action that notifies, shared read state with the inbox, the
//! legacy id forms, bulk read, counts — and nothing of anyone else's.

mod common;

use common::Server;
use serde_json::{json, Value};

fn by_type<'a>(feed: &'a Value, t: &str) -> Vec<&'a Value> {
    feed["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == t)
        .collect()
}

#[actix_rt::test]
async fn every_notifying_action_lands_in_the_feed_with_doc_and_real_fields() {
    let s = Server::start_with(&[("AGENTGATE_CHAT_RATE_LIMIT_SECS", "0")]);
    let c = s.client();
    let (ada, _) = c.citizen("Ada", "ada").await;
    let (bob, _) = c.citizen("Bob", "bob-home").await;
    c.mc(
        "POST",
        "/api/agents/ada/message",
        Some(&bob.key),
        Some(json!({"subject": "Hello!", "body": "Just wanted to say hi"})),
    )
    .await;
    c.mc(
        "POST",
        "/api/sites/ada/guestbook",
        Some(&bob.key),
        Some(json!({"message": "Nice place"})),
    )
    .await;
    c.mc(
        "POST",
        "/api/sites/ada/guestbook",
        Some(&ada.key),
        Some(json!({"message": "My own book"})),
    )
    .await;
    let job = c.mc("POST", "/api/jobs", Some(&ada.key), Some(json!({"title": "Review my site", "description": "Read every page and report problems.", "reward_lamports": 1000}))).await;
    let job_id = job.body["job_id"].as_str().unwrap().to_string();
    c.mc(
        "POST",
        &format!("/api/jobs/{job_id}/attempt"),
        Some(&bob.key),
        Some(json!({"message": "on it"})),
    )
    .await;
    c.mc(
        "POST",
        "/api/chat",
        Some(&bob.key),
        Some(json!({"message": "hey @ada and @Bob and @nobody"})),
    )
    .await;
    let feed = c
        .mc("GET", "/api/notifications", Some(&ada.key), None)
        .await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    let f = &feed.body;
    assert_eq!(f["count"], 4, "{f}");
    assert_eq!(f["unread_count"], 4);
    assert_eq!(f["has_more"], false);
    // Newest first: mention, job attempt, guestbook, message.
    let types: Vec<&str> = f["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["mention", "job_attempt", "guestbook", "message"]);
    let msg = by_type(f, "message")[0];
    assert!(msg["id"].as_str().unwrap().starts_with("notif_"));
    assert_eq!(msg["event_type"], "inbox.message");
    assert_eq!(msg["read"], false);
    assert_eq!(msg["data"]["from"]["name"], "Bob");
    assert_eq!(msg["data"]["from"]["id"], bob.id);
    assert_eq!(msg["data"]["from_agent_id"], bob.id);
    assert_eq!(msg["data"]["from_handle"], "bob-home");
    assert_eq!(msg["data"]["subject"], "Hello!");
    assert_eq!(msg["data"]["preview"], "Just wanted to say hi");
    let gb = by_type(f, "guestbook")[0];
    assert_eq!(gb["event_type"], "guestbook.entry");
    assert_eq!(gb["data"]["author"], "Bob");
    assert_eq!(gb["data"]["site_slug"], "ada");
    assert_eq!(gb["data"]["message"], "Nice place");
    let ja = by_type(f, "job_attempt")[0];
    assert_eq!(ja["event_type"], "job.application");
    assert_eq!(ja["data"]["job_id"], job_id);
    assert_eq!(ja["data"]["worker"]["name"], "Bob");
    assert_eq!(ja["data"]["applicant_id"], bob.id);
    assert_eq!(ja["data"]["proposal"], "on it");
    let mn = by_type(f, "mention")[0];
    assert_eq!(mn["event_type"], "mention");
    assert_eq!(mn["data"]["context"], "chat");
    assert_eq!(mn["data"]["by_agent_id"], bob.id);
    assert_eq!(mn["data"]["by_handle"], "bob-home");
    // The author is never told about their own mention; bob's feed is empty.
    let bobs = c
        .mc("GET", "/api/notifications", Some(&bob.key), None)
        .await;
    assert_eq!(bobs.body["count"], 0, "{}", bobs.body);
    // Approval tells the worker, twice: completed, then paid.
    c.mc(
        "POST",
        &format!("/api/jobs/{job_id}/submit"),
        Some(&bob.key),
        Some(json!({"proof": "done, see report"})),
    )
    .await;
    c.mc(
        "POST",
        &format!("/api/jobs/{job_id}/approve"),
        Some(&ada.key),
        None,
    )
    .await;
    let bobs = c
        .mc("GET", "/api/notifications", Some(&bob.key), None)
        .await;
    let statuses: Vec<&str> = by_type(&bobs.body, "job_status")
        .iter()
        .map(|n| n["data"]["new_status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["paid", "completed"]);
    assert_eq!(
        by_type(&bobs.body, "job_status")[0]["event_type"],
        "job.status"
    );
    let stats = c
        .mc("GET", "/api/notifications/stats", Some(&ada.key), None)
        .await;
    assert_eq!(
        stats.body,
        json!({"unread_messages": 1, "new_guestbook_entries": 1, "new_job_attempts": 1, "new_job_updates": 1, "unread_mentions": 1, "total_unread": 5})
    );
}

#[actix_rt::test]
async fn read_state_is_shared_with_the_inbox_and_ids_are_checked() {
    let s = Server::start();
    let c = s.client();
    let (ada, _) = c.citizen("Ada", "ada").await;
    let (bob, _) = c.citizen("Bob", "bob-home").await;
    let m1 = c
        .mc(
            "POST",
            "/api/agents/ada/message",
            Some(&bob.key),
            Some(json!({"body": "one"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let m2 = c
        .mc(
            "POST",
            "/api/agents/ada/message",
            Some(&bob.key),
            Some(json!({"body": "two"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let feed = c
        .mc("GET", "/api/notifications", Some(&ada.key), None)
        .await;
    let newest = feed.body["notifications"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Reading the notification reads the message.
    let r = c
        .mc(
            "POST",
            &format!("/api/notifications/{newest}/read"),
            Some(&ada.key),
            None,
        )
        .await;
    assert_eq!(r.body, json!({"marked_read": true, "id": newest}));
    assert_eq!(
        c.mc("GET", "/api/inbox/stats", Some(&ada.key), None)
            .await
            .body["unread"],
        1
    );
    // Reading the message (legacy form) reads the notification.
    let r = c
        .mc(
            "POST",
            &format!("/api/notifications/msg_{m1}/read"),
            Some(&ada.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let unread = c
        .mc(
            "GET",
            "/api/notifications?unread=true",
            Some(&ada.key),
            None,
        )
        .await;
    assert_eq!(unread.body["count"], 0);
    assert_eq!(unread.body["unread_count"], 0);
    // Unreading in the inbox unreads the notification.
    c.mc(
        "PATCH",
        &format!("/api/inbox/{m2}"),
        Some(&ada.key),
        Some(json!({"read": false})),
    )
    .await;
    assert_eq!(
        c.mc("GET", "/api/notifications", Some(&ada.key), None)
            .await
            .body["unread_count"],
        1
    );
    // Nobody else's ids, and clear errors.
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/notifications/{newest}/read"),
            Some(&bob.key),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        c.mc(
            "POST",
            &format!("/api/notifications/msg_{m1}/read"),
            Some(&bob.key),
            None
        )
        .await
        .status,
        404
    );
    let bad = c
        .mc(
            "POST",
            "/api/notifications/xyz_1/read",
            Some(&ada.key),
            None,
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (400, Some("Invalid notification ID format"))
    );
    let bulk = c
        .mc(
            "POST",
            "/api/notifications/read",
            Some(&ada.key),
            Some(json!({"ids": [format!("msg_{m2}"), "notif_nope", 7, "bad"]})),
        )
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    assert_eq!(bulk.body["marked_count"], 1);
    assert_eq!(bulk.body["total"], 3);
    assert_eq!(
        bulk.body["results"],
        json!([{"id": format!("msg_{m2}"), "marked_read": true}, {"id": "notif_nope", "marked_read": false}, {"id": "bad", "marked_read": false}])
    );
    assert_eq!(
        c.mc(
            "POST",
            "/api/notifications/read",
            Some(&ada.key),
            Some(json!({"ids": []}))
        )
        .await
        .status,
        400
    );
    let many: Vec<String> = (0..101).map(|i| format!("notif_{i}")).collect();
    let too_many = c
        .mc(
            "POST",
            "/api/notifications/read",
            Some(&ada.key),
            Some(json!({"ids": many})),
        )
        .await;
    assert_eq!(
        (too_many.status, too_many.body["error"].as_str()),
        (400, Some("Maximum 100 ids per request"))
    );
    assert_eq!(
        c.mc("GET", "/api/notifications", None, None).await.status,
        401
    );
}

#[actix_rt::test]
async fn paging_and_since() {
    let s = Server::start();
    let c = s.client();
    let (ada, _) = c.citizen("Ada", "ada").await;
    let (bob, _) = c.citizen("Bob", "bob-home").await;
    for i in 0..3 {
        c.mc(
            "POST",
            "/api/agents/ada/message",
            Some(&bob.key),
            Some(json!({"body": format!("m{i}")})),
        )
        .await;
    }
    let page = c
        .mc("GET", "/api/notifications?limit=2", Some(&ada.key), None)
        .await;
    assert_eq!(page.body["count"], 2);
    assert_eq!(page.body["has_more"], true);
    assert_eq!(
        page.body["unread_count"], 3,
        "the global unread count, not the page's"
    );
    let oldest = c
        .mc("GET", "/api/notifications", Some(&ada.key), None)
        .await
        .body["notifications"][2]["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    let since = c
        .mc(
            "GET",
            &format!("/api/notifications?since={oldest}"),
            Some(&ada.key),
            None,
        )
        .await;
    assert_eq!(since.body["count"], 2, "since is exclusive");
    assert_eq!(
        c.mc("GET", "/api/notifications?limit=0", Some(&ada.key), None)
            .await
            .status,
        400
    );
    assert_eq!(
        c.mc(
            "GET",
            "/api/notifications?since=yesterday",
            Some(&ada.key),
            None
        )
        .await
        .status,
        400
    );
}
