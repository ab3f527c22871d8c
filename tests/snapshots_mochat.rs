//! Snapshots of every MoChat answer, as the wire sends it: each claw REST route in both dialects
//! (successes and the main error shapes) and each Socket.IO payload the server emits (pushes,
//! acks, CONNECT_ERRORs). Ids, tokens and times are replaced by stable names, so the snapshots
//! change only when the wire does.

mod common;

use std::time::Duration;

use common::sio::{Connect, Sio};
use common::{Agent, Client, Resp, Server, GENERAL, GROUP, TOWN_SQUARE};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);

/// Known dynamic strings and the names they are shown as; longest first, so that an id inside a
/// longer string (`session_<id>`) is named too. Any other 24-hex id is shown as `[id]`.
#[derive(Default)]
struct Names(Vec<(String, String)>);

impl Names {
    fn add(&mut self, actual: &str, name: &str) {
        if actual.is_empty() || self.0.iter().any(|(a, _)| a == actual) {
            return;
        }
        self.0.push((actual.to_string(), format!("[{name}]")));
        self.0.sort_by_key(|x| std::cmp::Reverse(x.0.len()));
    }

    fn agent(&mut self, a: &Agent) {
        self.add(&a.id, &format!("{}.id", a.username));
        self.add(&a.token, &format!("{}.token", a.username));
    }

    fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (a, n) in &self.0 {
            if out.contains(a.as_str()) {
                out = out.replace(a.as_str(), n);
            }
        }
        unnamed_ids(&out)
    }

    fn apply(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.apply(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (self.text(k), self.apply(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Replaces every run of exactly 24 hex digits (an object id not named) with `[id]`.
fn unnamed_ids(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run == 0 {
            let ch = s[i..].chars().next().unwrap_or_default();
            out.push(ch);
            i += ch.len_utf8().max(1);
        } else {
            if run == 24 {
                out.push_str("[id]");
            } else {
                out.push_str(&s[i..i + run]);
            }
            i += run;
        }
    }
    out
}

fn time() -> insta::internals::Redaction {
    insta::dynamic_redaction(|v, _| {
        if v.as_str().is_some() {
            insta::internals::Content::from("[time]")
        } else {
            v
        }
    })
}

/// Snapshots a value after naming its ids; times, waits and claim links are redacted.
fn snap(names: &Names, name: &str, v: &Value) {
    let v = names.apply(v);
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!(name, v, {
            ".**.createdAt" => time(),
            ".**.updatedAt" => time(),
            ".**.timestamp" => time(),
            ".**.expiresAt" => time(),
            ".**.retryAfter" => "[secs]",
            ".**.claimUrl" => insta::dynamic_redaction(|v, _| {
                if v.as_str().is_some() {
                    insta::internals::Content::from("[claimUrl]")
                } else {
                    v
                }
            }),
        });
    });
}

/// A REST answer as a snapshot: the status and the body.
fn snap_resp(names: &Names, name: &str, r: &Resp) {
    snap(names, name, &json!({ "status": r.status, "body": r.body }));
}

/// A claw call with the agent's token, snapshotted.
async fn call(c: &Client, names: &Names, name: &str, a: &Agent, verb: &str, body: Value) -> Resp {
    let r = c.call(a, verb, body).await;
    snap_resp(names, name, &r);
    r
}

/// Registers with the seed body (and an email for some), naming the agent.
async fn seed_agent(c: &Client, names: &mut Names, username: &str, email: Option<&str>) -> Agent {
    let mut body = json!({ "username": username, "displayName": format!("{username} display") });
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    let r = c.post("/api/claw/agents/selfRegister", None, body).await;
    let d = r.data();
    let a = Agent {
        token: d["token"].as_str().unwrap().to_string(),
        id: d["botUserId"].as_str().unwrap().to_string(),
        username: username.to_string(),
    };
    names.agent(&a);
    a
}

#[actix_rt::test]
async fn agents_and_users() {
    let s = Server::start();
    let c = s.client();
    let mut n = Names::default();
    n.add(GROUP, "GROUP");

    // selfRegister, seed body.
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"username": "alice", "email": "alice@x.io", "displayName": "Alice"}),
        )
        .await;
    let alice = Agent {
        token: r.data()["token"].as_str().unwrap().to_string(),
        id: r.data()["botUserId"].as_str().unwrap().to_string(),
        username: "alice".into(),
    };
    n.agent(&alice);
    snap_resp(&n, "register_seed", &r);

    // selfRegister, the real clients' body.
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"name": "Nano Bot", "avatar": "https://x/a.png", "metadata": {"k": [1, null]}}),
        )
        .await;
    let nano = Agent {
        token: r.data()["token"].as_str().unwrap().to_string(),
        id: r.data()["botUserId"].as_str().unwrap().to_string(),
        username: "nano".into(),
    };
    n.agent(&nano);
    snap_resp(&n, "register_real", &r);
    let r = c.post_empty("/api/claw/agents/selfRegister", None).await;
    n.add(
        r.body["data"]["token"].as_str().unwrap_or_default(),
        "anon.token",
    );
    n.add(
        r.body["data"]["botUserId"].as_str().unwrap_or_default(),
        "anon.id",
    );
    snap_resp(&n, "register_empty_body", &r);

    // selfRegister errors: 400 with field, 409.
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"username": "x!", "email": "e@x.io"}),
        )
        .await;
    snap_resp(&n, "register_invalid", &r);
    let r = c
        .post(
            "/api/claw/agents/selfRegister",
            None,
            json!({"username": "alice", "email": "other@x.io"}),
        )
        .await;
    snap_resp(&n, "register_conflict", &r);
    let r = c
        .post_raw("/api/claw/agents/selfRegister", None, b"[1,2]".to_vec())
        .await;
    snap_resp(&n, "register_not_an_object", &r);

    // get and owner before binding.
    call(&c, &n, "agents_get_seed", &alice, "agents/get", json!({})).await;
    call(&c, &n, "agents_get_real", &nano, "agents/get", json!({})).await;
    call(
        &c,
        &n,
        "agents_owner_unbound",
        &alice,
        "agents/owner",
        json!({}),
    )
    .await;

    // bind.
    let r = c
        .call(
            &alice,
            "agents/bind",
            json!({"email": "boss@x.io", "greeting_msg": "hi boss"}),
        )
        .await;
    n.add(
        r.body["ownerUserId"].as_str().unwrap_or_default(),
        "owner.id",
    );
    n.add(
        r.body["data"]["converseId"].as_str().unwrap_or_default(),
        "owner-dm",
    );
    snap_resp(&n, "agents_bind", &r);
    call(
        &c,
        &n,
        "agents_bind_again",
        &alice,
        "agents/bind",
        json!({"email": "boss@x.io"}),
    )
    .await;
    call(
        &c,
        &n,
        "agents_bind_missing_email",
        &nano,
        "agents/bind",
        json!({}),
    )
    .await;
    call(
        &c,
        &n,
        "agents_bind_conflict",
        &alice,
        "agents/bind",
        json!({"email": "other@x.io"}),
    )
    .await;
    let r = c
        .post("/api/claw/agents/bind", None, json!({"email": "a@b.co"}))
        .await;
    snap_resp(&n, "agents_bind_no_token", &r);
    let r = c
        .post("/api/claw/agents/get", Some("claw_nope"), json!({}))
        .await;
    snap_resp(&n, "agents_get_bad_token", &r);

    call(&c, &n, "agents_get_bound", &alice, "agents/get", json!({})).await;
    call(
        &c,
        &n,
        "agents_owner_bound",
        &alice,
        "agents/owner",
        json!({}),
    )
    .await;

    // users/resolve: self (email shown), another agent (email hidden), the owner, unknown.
    let owner = r_owner(&c, &alice).await;
    call(
        &c,
        &n,
        "users_resolve",
        &nano,
        "users/resolve",
        json!({"userIds": [nano.id, alice.id, owner, "000000000000000000000000"]}),
    )
    .await;
    call(
        &c,
        &n,
        "users_resolve_by_owner_agent",
        &alice,
        "users/resolve",
        json!({"userIds": [alice.id, owner]}),
    )
    .await;
    call(
        &c,
        &n,
        "users_resolve_missing",
        &alice,
        "users/resolve",
        json!({}),
    )
    .await;

    // rotateToken: 403 for another id, then the new token.
    call(
        &c,
        &n,
        "agents_rotate_forbidden",
        &nano,
        "agents/rotateToken",
        json!({"botUserId": alice.id}),
    )
    .await;
    let r = c
        .call(&nano, "agents/rotateToken", json!({"botUserId": nano.id}))
        .await;
    n.add(
        r.body["data"]["token"].as_str().unwrap_or_default(),
        "nano.token2",
    );
    snap_resp(&n, "agents_rotate", &r);
    call(
        &c,
        &n,
        "agents_get_revoked_token",
        &nano,
        "agents/get",
        json!({}),
    )
    .await;

    // The claw scope's own answers: no such verb, and a method other than POST.
    let r = c.post("/api/claw/agents/nothing", None, json!({})).await;
    snap_resp(&n, "route_missing", &r);
    let r = c.get("/api/claw/agents/get").await;
    snap_resp(&n, "method_not_allowed", &r);
}

async fn r_owner(c: &Client, a: &Agent) -> String {
    c.call(a, "agents/owner", json!({})).await.data()["owner"]["userId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_rt::test]
async fn sessions() {
    let s = Server::start();
    let c = s.client();
    let mut n = Names::default();
    let alice = seed_agent(&c, &mut n, "alice", Some("alice@x.io")).await;
    let bob = seed_agent(&c, &mut n, "bob", None).await;
    let carol = seed_agent(&c, &mut n, "carol", None).await;

    // create: the seed's string participants, the real clients' objects.
    let r = c
        .call(&alice, "sessions/create", json!({"participants": [bob.id]}))
        .await;
    let ab = r.data()["converseId"].as_str().unwrap().to_string();
    n.add(&ab, "dm-ab");
    snap_resp(&n, "sessions_create_seed", &r);
    let r = c
        .call(
            &alice,
            "sessions/create",
            json!({
                "participantIds": [{"type": "agent", "uniqueName": "bob"}, {"type": "agent", "id": carol.id}],
                "name": "trio", "type": "group", "visibility": "public", "metadata": {"topic": "t"}
            }),
        )
        .await;
    let trio = r.data()["converseId"].as_str().unwrap().to_string();
    n.add(&trio, "group-trio");
    snap_resp(&n, "sessions_create_real", &r);
    call(
        &c,
        &n,
        "sessions_create_same_dm",
        &bob,
        "sessions/create",
        json!({"participants": [{"id": alice.id}]}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_create_missing",
        &alice,
        "sessions/create",
        json!({}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_create_unknown_user",
        &alice,
        "sessions/create",
        json!({"participants": ["000000000000000000000000"]}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_create_bad_participant",
        &alice,
        "sessions/create",
        json!({"participants": [5]}),
    )
    .await;

    // send.
    let sid = format!("session_{ab}");
    let r = c
        .call(
            &alice,
            "sessions/send",
            json!({"sessionId": sid, "content": "hello @bob"}),
        )
        .await;
    let m1 = r.data()["message"]["id"].as_str().unwrap().to_string();
    n.add(&m1, "m1");
    snap_resp(&n, "sessions_send", &r);
    let r = c
        .call(
            &bob,
            "sessions/send",
            json!({"sessionId": ab, "content": "re <@ALL> all", "type": "text", "replyTo": m1,
                   "metadata": {"card": {"x": [1, 2.5, null]}, "s": "v"}}),
        )
        .await;
    let m2 = r.data()["message"]["id"].as_str().unwrap().to_string();
    n.add(&m2, "m2");
    snap_resp(&n, "sessions_send_reply_metadata", &r);
    let r = c
        .call(
            &bob,
            "sessions/send",
            json!({"sessionId": ab, "content": "third", "replyTo": 5}),
        )
        .await;
    n.add(r.data()["message"]["id"].as_str().unwrap(), "m3");
    snap_resp(&n, "sessions_send_reply_not_a_string", &r);
    call(
        &c,
        &n,
        "sessions_send_missing_session",
        &alice,
        "sessions/send",
        json!({"content": "x"}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_send_content_not_string",
        &alice,
        "sessions/send",
        json!({"sessionId": ab, "content": 5}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_send_content_missing",
        &alice,
        "sessions/send",
        json!({"sessionId": ab}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_send_unknown_session",
        &alice,
        "sessions/send",
        json!({"sessionId": "session_000000000000000000000000", "content": "x"}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_send_foreign_session",
        &carol,
        "sessions/send",
        json!({"sessionId": ab, "content": "x"}),
    )
    .await;

    // messages: a page with a cursor, the next page.
    let r = call(
        &c,
        &n,
        "sessions_messages_page1",
        &alice,
        "sessions/messages",
        json!({"sessionId": sid, "limit": 2}),
    )
    .await;
    let cursor = r.data()["nextCursor"].clone();
    call(
        &c,
        &n,
        "sessions_messages_page2",
        &alice,
        "sessions/messages",
        json!({"sessionId": sid, "limit": "2", "cursor": cursor}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_messages_missing",
        &alice,
        "sessions/messages",
        json!({}),
    )
    .await;

    // list in both dialects.
    let r = c
        .post_empty("/api/claw/sessions/list", Some(&alice.token))
        .await;
    snap_resp(&n, "sessions_list_seed_empty_body", &r);
    call(
        &c,
        &n,
        "sessions_list_real",
        &alice,
        "sessions/list",
        json!({}),
    )
    .await;
    let r = c
        .post(
            "/api/claw/sessions/list?format=array",
            Some(&alice.token),
            json!({"limit": 1}),
        )
        .await;
    snap_resp(&n, "sessions_list_format_array", &r);
    call(
        &c,
        &n,
        "sessions_list_updated_after",
        &alice,
        "sessions/list",
        json!({"updatedAfter": 32503680000000i64}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_list_bad_time",
        &alice,
        "sessions/list",
        json!({"updatedAfter": "yesterday"}),
    )
    .await;

    // get, detail.
    call(
        &c,
        &n,
        "sessions_get",
        &alice,
        "sessions/get",
        json!({"sessionId": sid}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_get_missing",
        &alice,
        "sessions/get",
        json!({}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_detail",
        &alice,
        "sessions/detail",
        json!({"sessionId": trio}),
    )
    .await;

    // participants.
    let dave = seed_agent(&c, &mut n, "dave", None).await;
    call(
        &c,
        &n,
        "sessions_add_participants",
        &alice,
        "sessions/addParticipants",
        json!({"sessionId": trio, "participants": [dave.id]}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_remove_participants",
        &alice,
        "sessions/removeParticipants",
        json!({"sessionId": trio, "participantIds": [{"id": dave.id}]}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_add_participants_missing",
        &alice,
        "sessions/addParticipants",
        json!({"sessionId": trio}),
    )
    .await;

    // watch: events past a cursor, and a timeout with none.
    call(
        &c,
        &n,
        "sessions_watch",
        &alice,
        "sessions/watch",
        json!({"sessionId": sid, "cursor": 1, "timeoutMs": 0}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_watch_timeout",
        &alice,
        "sessions/watch",
        json!({"sessionId": sid, "cursor": 3, "timeoutMs": 10}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_watch_missing",
        &alice,
        "sessions/watch",
        json!({"cursor": 0}),
    )
    .await;

    // close.
    call(
        &c,
        &n,
        "sessions_close",
        &alice,
        "sessions/close",
        json!({"sessionId": trio, "policy": "archive"}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_close_default_policy",
        &alice,
        "sessions/close",
        json!({"sessionId": sid}),
    )
    .await;
    call(
        &c,
        &n,
        "sessions_send_closed",
        &alice,
        "sessions/send",
        json!({"sessionId": sid, "content": "x"}),
    )
    .await;
}

#[actix_rt::test]
async fn groups_and_panels() {
    let s = Server::start();
    let c = s.client();
    let mut n = Names::default();
    n.add(GROUP, "GROUP");
    n.add(GENERAL, "GENERAL");
    n.add(TOWN_SQUARE, "TOWN_SQUARE");
    let alice = seed_agent(&c, &mut n, "alice", Some("alice@x.io")).await;
    let bob = seed_agent(&c, &mut n, "bob", None).await;

    call(&c, &n, "groups_get", &alice, "groups/get", json!({})).await;
    call(
        &c,
        &n,
        "groups_get_seed_workspace",
        &bob,
        "groups/get",
        json!({"workspaceId": "anything"}),
    )
    .await;
    call(
        &c,
        &n,
        "groups_get_unknown",
        &alice,
        "groups/get",
        json!({"groupId": "000000000000000000000000"}),
    )
    .await;

    // panels/create: the real body, a private one, the seed's body.
    let r = c
        .call(
            &alice,
            "groups/panels/create",
            json!({"name": "ops", "description": "d", "meta": {"a": 1}, "provider": "p", "pluginPanelName": "pp"}),
        )
        .await;
    let ops = r.data()["id"].as_str().unwrap().to_string();
    n.add(&ops, "ops");
    snap_resp(&n, "panels_create", &r);
    let r = c
        .call(
            &alice,
            "groups/panels/create",
            json!({"groupId": GROUP, "name": "secret", "type": 0, "isPublic": false, "members": [bob.id]}),
        )
        .await;
    let secret = r.data()["id"].as_str().unwrap().to_string();
    n.add(&secret, "secret");
    snap_resp(&n, "panels_create_private", &r);
    let r = c
        .call(
            &bob,
            "groups/panels/create",
            json!({"groupId": GROUP, "name": "folder", "type": "1", "parentId": ops}),
        )
        .await;
    n.add(r.data()["id"].as_str().unwrap(), "folder");
    snap_resp(&n, "panels_create_seed", &r);
    call(
        &c,
        &n,
        "panels_create_missing_name",
        &alice,
        "groups/panels/create",
        json!({}),
    )
    .await;

    // send and history.
    let r = c
        .call(
            &alice,
            "groups/panels/send",
            json!({"panelId": GENERAL, "content": "hi @bob", "metadata": {"m": true}}),
        )
        .await;
    n.add(r.data()["message"]["id"].as_str().unwrap(), "pm1");
    snap_resp(&n, "panels_send", &r);
    let r = c
        .call(
            &bob,
            "groups/panels/send",
            json!({"panelId": GENERAL, "groupId": "ignored", "content": "yo @all"}),
        )
        .await;
    n.add(r.data()["message"]["id"].as_str().unwrap(), "pm2");
    snap_resp(&n, "panels_send_mention_all", &r);
    call(
        &c,
        &n,
        "panels_send_missing_panel",
        &alice,
        "groups/panels/send",
        json!({"content": "x"}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_send_unknown_panel",
        &alice,
        "groups/panels/send",
        json!({"panelId": "000000000000000000000000", "content": "x"}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_messages",
        &alice,
        "groups/panels/messages",
        json!({"panelId": GENERAL, "limit": 1}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_messages_all",
        &bob,
        "groups/panels/messages",
        json!({"panelId": GENERAL, "groupId": GROUP}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_messages_missing",
        &bob,
        "groups/panels/messages",
        json!({}),
    )
    .await;

    // modify and delete: only the creator may.
    call(
        &c,
        &n,
        "panels_modify",
        &alice,
        "groups/panels/modify",
        json!({"panelId": ops, "name": "ops2", "isPublic": false, "description": "d2"}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_modify_forbidden",
        &bob,
        "groups/panels/modify",
        json!({"panelId": ops, "name": "x"}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_delete_forbidden",
        &bob,
        "groups/panels/delete",
        json!({"panelId": secret}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_delete",
        &alice,
        "groups/panels/delete",
        json!({"panelId": secret}),
    )
    .await;
    call(
        &c,
        &n,
        "panels_delete_missing",
        &alice,
        "groups/panels/delete",
        json!({}),
    )
    .await;

    // invites.
    let r = c.call(&alice, "groups/createInvite", json!({})).await;
    n.add(r.data()["code"].as_str().unwrap(), "invite");
    snap_resp(&n, "invite_create", &r);
    let r = c
        .call(
            &alice,
            "groups/createInvite",
            json!({"groupId": GROUP, "inviteType": "permanent"}),
        )
        .await;
    n.add(r.data()["code"].as_str().unwrap(), "invite-permanent");
    snap_resp(&n, "invite_create_permanent", &r);
    call(
        &c,
        &n,
        "invite_create_bad_type",
        &alice,
        "groups/createInvite",
        json!({"inviteType": "forever"}),
    )
    .await;
    let code = r.data()["code"].clone();
    call(
        &c,
        &n,
        "invite_join",
        &bob,
        "groups/joinByInvite",
        json!({"code": code}),
    )
    .await;
    call(
        &c,
        &n,
        "invite_join_unknown",
        &bob,
        "groups/joinByInvite",
        json!({"code": "nope"}),
    )
    .await;
    call(
        &c,
        &n,
        "groups_get_after",
        &bob,
        "groups/get",
        json!({"groupId": GROUP}),
    )
    .await;
}

#[actix_rt::test]
async fn rest_limits() {
    let s = Server::start_with(&[
        ("AGENTGATE_CHAT_RATE_LIMIT_SECS", "10"),
        ("AGENTGATE_MAX_BODY_BYTES", "2000"),
    ]);
    let c = s.client();
    let mut n = Names::default();
    n.add(GROUP, "GROUP");
    n.add(TOWN_SQUARE, "TOWN_SQUARE");
    let alice = seed_agent(&c, &mut n, "alice", None).await;
    let r = c
        .call(
            &alice,
            "groups/panels/send",
            json!({"panelId": TOWN_SQUARE, "content": "one"}),
        )
        .await;
    n.add(r.data()["message"]["id"].as_str().unwrap(), "pm1");
    let r = c
        .call(
            &alice,
            "groups/panels/send",
            json!({"panelId": TOWN_SQUARE, "content": "two"}),
        )
        .await;
    snap_resp(&n, "rate_limited", &r);
    snap(
        &n,
        "rate_limited_retry_after_header",
        &json!(r.header("retry-after").is_some()),
    );
    let big = "x".repeat(3000);
    let r = c.call(&alice, "sessions/list", json!({ "pad": big })).await;
    snap_resp(&n, "body_too_large", &r);
}

#[actix_rt::test]
async fn socket_pushes_and_acks() {
    let s = Server::start();
    let c = s.client();
    let mut n = Names::default();
    n.add(GROUP, "GROUP");
    n.add(GENERAL, "GENERAL");
    n.add(TOWN_SQUARE, "TOWN_SQUARE");
    let alice = seed_agent(&c, &mut n, "alice", None).await;
    let bob = seed_agent(&c, &mut n, "bob", None).await;
    let carol = seed_agent(&c, &mut n, "carol", None).await;
    let ab = c.session(&bob, &[&alice]).await;
    n.add(ab.trim_start_matches("session_"), "dm-ab");
    let ac = c.session(&carol, &[&alice]).await;
    n.add(ac.trim_start_matches("session_"), "dm-ac");
    let bc = c.session(&bob, &[&carol]).await;
    n.add(bc.trim_start_matches("session_"), "dm-bc");
    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        let m = c.say(&bob, &ab, text).await;
        n.add(m["id"].as_str().unwrap(), &format!("ab{}", i + 1));
    }

    // CONNECT_ERROR for a bad token.
    match Sio::connect(&s.base, json!({"token": "claw_nope"})).await {
        Connect::Refused(v) => snap(&n, "sio_connect_refused", &v),
        Connect::Ok(_) => panic!("connected with a bad token"),
    }

    // The seed dialect: acks.
    let mut seed = Sio::with_token(&s.base, &alice.token).await;
    let ack = seed
        .call("session:subscribe", json!({"sessionId": "*"}))
        .await;
    snap(&n, "sio_ack_seed_subscribe", &ack);
    let ack = seed
        .call("panel:subscribe", json!({"panelId": GENERAL}))
        .await;
    snap(&n, "sio_ack_seed_panel_subscribe", &ack);
    let ack = seed.call("session:subscribe", json!({})).await;
    snap(&n, "sio_ack_seed_subscribe_missing", &ack);
    let ack = seed
        .call("session:subscribe", json!({"sessionId": bc}))
        .await;
    snap(&n, "sio_ack_seed_subscribe_foreign", &ack);
    let ack = seed
        .call(
            "panel:subscribe",
            json!({"panelId": "000000000000000000000000"}),
        )
        .await;
    snap(&n, "sio_ack_seed_panel_subscribe_unknown", &ack);
    let ack = seed
        .call("panel:unsubscribe", json!({"panelId": "*"}))
        .await;
    snap(&n, "sio_ack_seed_panel_unsubscribe", &ack);
    let ack = seed
        .call("panel:subscribe", json!({"panelId": GENERAL}))
        .await;
    assert_eq!(ack["result"], true);
    let ack = seed.call("no.such.event", json!({})).await;
    snap(&n, "sio_ack_unknown_event", &ack);

    // The real dialect: subscribeSessions with a warm, a cold and an unreadable session.
    let mut real = Sio::with_token(&s.base, &alice.token).await;
    let ack = real
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": [ab, ac, bc], "cursors": {ab.clone(): 0, bc.clone(): 2}, "limit": 1}),
        )
        .await;
    snap(&n, "sio_ack_subscribe_sessions", &ack);
    // The rest of the warm session's backlog follows the ack, one batch of `limit` each.
    let backlog = real
        .next_named("claw.session.events", WAIT)
        .await
        .expect("backlog");
    snap(&n, "sio_push_backlog_1", &backlog);
    let backlog = real
        .next_named("claw.session.events", WAIT)
        .await
        .expect("backlog");
    snap(&n, "sio_push_backlog_2", &backlog);
    let ack = real
        .call(
            "com.claw.im.subscribeSessions",
            json!({"sessionIds": (0..1001).map(|i| i.to_string()).collect::<Vec<_>>()}),
        )
        .await;
    snap(&n, "sio_ack_subscribe_sessions_too_many", &ack);
    let ack = real
        .call(
            "com.claw.im.subscribePanels",
            json!({"panelIds": [GENERAL, "000000000000000000000000"]}),
        )
        .await;
    snap(&n, "sio_ack_subscribe_panels_named", &ack);
    let ack = real
        .call("com.claw.im.subscribePanels", json!({"panelIds": []}))
        .await;
    snap(&n, "sio_ack_subscribe_panels_all", &ack);

    // Live pushes: a session message (both dialects), a panel message (both dialects).
    let m = c
        .call(
            &bob,
            "sessions/send",
            json!({"sessionId": ab, "content": "live @alice", "metadata": {"x": [1, null]}}),
        )
        .await;
    n.add(m.data()["message"]["id"].as_str().unwrap(), "ab4");
    let push = seed
        .next_named("notify:session", WAIT)
        .await
        .expect("notify:session");
    snap(&n, "sio_push_notify_session", &push);
    let push = real
        .next_named("claw.session.events", WAIT)
        .await
        .expect("claw.session.events");
    snap(&n, "sio_push_claw_session_events", &push);
    let m = c
        .call(
            &bob,
            "groups/panels/send",
            json!({"panelId": GENERAL, "content": "panel @all"}),
        )
        .await;
    n.add(m.data()["message"]["id"].as_str().unwrap(), "pm1");
    let push = seed
        .next_named("notify:panel", WAIT)
        .await
        .expect("notify:panel");
    snap(&n, "sio_push_notify_panel", &push);
    let push = real
        .next_named("claw.panel.events", WAIT)
        .await
        .expect("claw.panel.events");
    snap(&n, "sio_push_claw_panel_events", &push);

    // A new session that includes the agent: the real-dialect socket is told at once.
    let r = c
        .call(
            &bob,
            "sessions/create",
            json!({"participants": [alice.id, carol.id], "type": "group", "name": "new"}),
        )
        .await;
    n.add(r.data()["converseId"].as_str().unwrap(), "group-new");
    let push = real
        .next_named("claw.session.events", WAIT)
        .await
        .expect("new session");
    snap(&n, "sio_push_new_session", &push);
    seed.close().await;
    real.close().await;
}

#[actix_rt::test]
async fn socket_fallbacks_and_limits() {
    let s = Server::start_with(&[
        ("AGENTGATE_MOCHAT_TAILCHAT_FALLBACKS", "true"),
        ("AGENTGATE_SIO_EVENTS_PER_SEC", "10"),
        ("AGENTGATE_SIO_SOCKETS_PER_AGENT", "2"),
        ("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "1"),
    ]);
    let c = s.client();
    let mut n = Names::default();
    n.add(GROUP, "GROUP");
    n.add(GENERAL, "GENERAL");
    let alice = seed_agent(&c, &mut n, "alice", None).await;
    let bob = seed_agent(&c, &mut n, "bob", None).await;
    let ab = c.session(&bob, &[&alice]).await;
    n.add(ab.trim_start_matches("session_"), "dm-ab");

    // Tailchat fallbacks beside the claw pushes.
    let mut sock = Sio::with_token(&s.base, &alice.token).await;
    sock.call(
        "com.claw.im.subscribeSessions",
        json!({"sessionIds": [ab], "cursors": {}, "limit": 10}),
    )
    .await;
    sock.call("com.claw.im.subscribePanels", json!({"panelIds": []}))
        .await;
    let m = c
        .say(&bob, &ab, "dm for the inbox, long enough to be cut? no")
        .await;
    n.add(m["id"].as_str().unwrap(), "ab1");
    let push = sock
        .next_named("notify:chat.inbox.append", WAIT)
        .await
        .expect("inbox");
    snap(&n, "sio_push_tailchat_inbox_append", &push);
    let m = c
        .call(
            &bob,
            "groups/panels/send",
            json!({"panelId": GENERAL, "content": "panel hi @alice"}),
        )
        .await;
    n.add(m.data()["message"]["id"].as_str().unwrap(), "pm1");
    let push = sock
        .next_named("notify:chat.message.add", WAIT)
        .await
        .expect("message.add");
    snap(&n, "sio_push_tailchat_message_add", &push);

    // The socket cap per agent.
    let second = Sio::with_token(&s.base, &alice.token).await;
    match Sio::connect(&s.base, json!({"token": alice.token})).await {
        Connect::Refused(v) => snap(&n, "sio_connect_over_cap", &v),
        Connect::Ok(_) => panic!("a third socket was accepted"),
    }
    second.close().await;

    // The event flood limit: the first refused ack.
    let mut refused = None;
    for _ in 0..60 {
        let ack = sock
            .call("session:subscribe", json!({"sessionId": "*"}))
            .await;
        if ack["result"] == false {
            refused = Some(ack);
            break;
        }
    }
    snap(&n, "sio_ack_rate_limited", &refused.expect("a refused ack"));

    // Authentication failures: a throttled address.
    let mut last = Value::Null;
    for _ in 0..3 {
        if let Connect::Refused(v) = Sio::connect(&s.base, json!({"token": "claw_nope"})).await {
            last = v;
        }
    }
    snap(&n, "sio_connect_throttled", &last);
    sock.close().await;
}

#[actix_rt::test]
async fn bridged_messages_and_presence() {
    let s = Server::start();
    let c = s.client();
    let mut n = Names::default();
    let alice = seed_agent(&c, &mut n, "alice", None).await;
    let (city, _) = c.citizen("City", "city-agent").await;
    n.add(&city.id, "city.id");
    let mut seed = Sio::with_token(&s.base, &alice.token).await;
    seed.call("session:subscribe", json!({"sessionId": "*"}))
        .await;
    let mut real = Sio::with_token(&s.base, &alice.token).await;
    real.call("com.claw.im.subscribeSessions", json!({"sessionIds": []}))
        .await;

    // A MoltCities inbox message lands in the DM session, its subject in `meta`.
    let sent = c
        .mc(
            "POST",
            "/api/agents/alice/message",
            Some(&city.key),
            Some(json!({"subject": "Hi there", "body": "from the city"})),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    n.add(sent.body["id"].as_str().unwrap(), "dm1");
    let list = c.call(&alice, "sessions/list", json!({})).await;
    let sid = list.data()["sessions"][0]["sessionId"]
        .as_str()
        .unwrap()
        .to_string();
    n.add(sid.trim_start_matches("session_"), "dm-city");
    let push = real
        .next_named("claw.session.events", WAIT)
        .await
        .expect("new session");
    snap(&n, "bridge_push_new_session", &push);
    let push = real
        .next_named("claw.session.events", WAIT)
        .await
        .expect("claw.session.events");
    snap(&n, "bridge_push_claw_session_events", &push);
    let push = seed
        .next_named("notify:session", WAIT)
        .await
        .expect("notify:session");
    snap(&n, "bridge_push_notify_session", &push);
    call(
        &c,
        &n,
        "bridge_sessions_messages",
        &alice,
        "sessions/messages",
        json!({"sessionId": sid}),
    )
    .await;

    // Presence in sessions/detail, and the seed's array asked for by header.
    call(
        &c,
        &n,
        "bridge_sessions_detail_online",
        &alice,
        "sessions/detail",
        json!({"sessionId": sid}),
    )
    .await;
    let mut res = c
        .http
        .post(c.url_of("/api/claw/sessions/list"))
        .insert_header(("X-Claw-Token", alice.token.as_str()))
        .insert_header(("X-Mochat-Dialect", "seed"))
        .insert_header(("Content-Type", "application/json"))
        .send_body("{}")
        .await
        .expect("request");
    let r = Client::finish_pub(&mut res).await;
    snap_resp(&n, "bridge_sessions_list_dialect_header", &r);
    seed.close().await;
    real.close().await;
}
