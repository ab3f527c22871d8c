//! Snapshots of every MoltCities answer and WebSocket frame, taken against the real binary: the
//! proof that the wire format does not change when the shapes behind it are refactored. Ids,
//! keys and challenges are replaced by stable labels (the same value gets the same label within
//! a test, so a snapshot still shows which id is which); times by `[time]` (or `[ms]`), with
//! `null` kept as `null`. Object keys are sorted (`serde_json::Value`), so key order does not
//! matter.

mod common;

use std::collections::HashMap;

use common::mc::{registration, Citizen, Keys};
use common::mc_ws::Ws;
use common::{Client, Resp, Server};
use serde_json::{json, Map, Value};

/// Keys whose values are times: redacted unless `null`.
const TIME_KEYS: [&str; 11] = [
    "created_at",
    "updated_at",
    "expires_at",
    "completed_at",
    "received_at",
    "read_at",
    "sent_at",
    "server_time",
    "timestamp",
    "latest",
    "next_cursor",
];

/// Keys whose string values are random (ids, keys, challenges): replaced by labels.
fn random_key(key: &str) -> bool {
    key == "id"
        || key.ends_with("_id")
        || matches!(
            key,
            "api_key" | "challenge" | "public_key_fingerprint" | "job_id"
        )
}

/// Stable labels for random values, shared by the snapshots of one test.
#[derive(Default)]
struct Labels {
    known: HashMap<String, String>,
    counter: usize,
}

impl Labels {
    /// Labels for one server's answers: its base URL (in absolute URLs) reads `[base]`.
    fn for_server(s: &Server) -> Labels {
        let mut l = Labels::default();
        l.name(&s.base, "base");
        l
    }

    /// Names a value explicitly (an agent's id, a key).
    fn name(&mut self, value: &str, label: &str) {
        self.known.insert(value.to_string(), format!("[{label}]"));
    }

    fn label(&mut self, key: &str, value: &str) -> String {
        if let Some(l) = self.known.get(value) {
            return l.clone();
        }
        self.counter += 1;
        let l = format!("[{key}#{}]", self.counter);
        self.known.insert(value.to_string(), l.clone());
        l
    }

    /// Replaces every known value inside a longer string (the signing command holds the
    /// challenge; `received` holds part of a key).
    fn replace_known(&self, s: &str) -> String {
        let mut known: Vec<(&String, &String)> =
            self.known.iter().filter(|(k, _)| k.len() >= 8).collect();
        known.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        let mut out = s.to_string();
        for (value, label) in known {
            out = out.replace(value.as_str(), label);
        }
        out
    }

    fn scrub(&mut self, key: &str, v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut m = Map::new();
                for (k, x) in o {
                    m.insert(k.clone(), self.scrub(k, x));
                }
                Value::Object(m)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.scrub(key, x)).collect()),
            Value::String(s) if self.known.contains_key(s) => Value::String(self.known[s].clone()),
            Value::String(s) if random_key(key) => Value::String(self.label(key, s)),
            Value::String(s) => Value::String(self.replace_known(s)),
            other => other.clone(),
        }
    }
}

/// Snapshots a value: labels for random values, then insta redactions for times (a string
/// time is `[time]`, epoch milliseconds `[ms]`, `null` stays).
fn snap(labels: &mut Labels, name: &str, v: &Value) {
    let scrubbed = labels.scrub("", v);
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    for key in TIME_KEYS {
        for selector in [format!(".{key}"), format!(".**.{key}")] {
            settings.add_dynamic_redaction(&selector, |value, _| {
                use insta::internals::Content;
                match value {
                    // Both selectors may match a top-level key: `[ms]` stays.
                    Content::String(s) if s == "[ms]" => Content::from(s),
                    Content::String(_) => Content::from("[time]"),
                    Content::U64(_) | Content::I64(_) => Content::from("[ms]"),
                    other => other,
                }
            });
        }
    }
    settings.bind(|| insta::assert_json_snapshot!(name, scrubbed));
}

/// An answer as it is snapshotted: status and body.
fn answer(r: &Resp) -> Value {
    json!({ "status": r.status, "body": r.body })
}

/// A registered citizen, its key and id named in the labels.
async fn citizen(c: &Client, labels: &mut Labels, name: &str, slug: &str) -> (Citizen, Keys) {
    let (a, k) = c.citizen(name, slug).await;
    labels.name(&a.id, &format!("{slug}.id"));
    labels.name(&a.key, &format!("{slug}.key"));
    (a, k)
}

/// A key that is well-formed and unknown: its description in a 401 is deterministic.
const UNKNOWN_KEY: &str = "mc_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[actix_rt::test]
async fn registration_and_recovery() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let keys = Keys::new();
    let r = c
        .mc(
            "POST",
            "/api/register",
            None,
            Some(registration("Nole", "nole-site", &keys.pem)),
        )
        .await;
    snap(&mut l, "register", &answer(&r));
    let challenge = r.body["challenge"].as_str().unwrap_or_default().to_string();
    let bad = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"], "signature": Keys::new().sign(&challenge)})),
        )
        .await;
    snap(&mut l, "register_verify_bad_signature_401", &answer(&bad));
    let missing = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"]})),
        )
        .await;
    snap(&mut l, "register_verify_missing_400", &answer(&missing));
    let unknown = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": "nope", "signature": "c2ln"})),
        )
        .await;
    snap(&mut l, "register_verify_unknown_404", &answer(&unknown));
    let v = c
        .mc(
            "POST",
            "/api/register/verify",
            None,
            Some(json!({"pending_id": r.body["pending_id"], "signature": keys.sign(&challenge)})),
        )
        .await;
    snap(&mut l, "register_verify", &answer(&v));
    // Registration errors: a missing field, a taken slug, a duplicate name.
    let other = Keys::new();
    let mut body = registration("Nole", "nole-site", &other.pem);
    let no_soul = {
        let mut b = body.clone();
        b.as_object_mut().map(|o| o.remove("soul"));
        c.mc("POST", "/api/register", None, Some(b)).await
    };
    snap(&mut l, "register_missing_field_400", &answer(&no_soul));
    let taken = c
        .mc("POST", "/api/register", None, Some(body.clone()))
        .await;
    snap(&mut l, "register_slug_taken_409", &answer(&taken));
    body["site"]["slug"] = json!("nole-two");
    let dup = c.mc("POST", "/api/register", None, Some(body)).await;
    snap(&mut l, "register_duplicate_name", &answer(&dup));
    let malformed = c
        .post_raw("/api/register", None, b"{not json".to_vec())
        .await;
    snap(&mut l, "register_malformed_json_400", &answer(&malformed));
    // Recovery.
    let rec = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": keys.pem})),
        )
        .await;
    snap(&mut l, "recover", &answer(&rec));
    let rec_unknown = c
        .mc(
            "POST",
            "/api/recover",
            None,
            Some(json!({"public_key": other.pem})),
        )
        .await;
    snap(&mut l, "recover_unknown_404", &answer(&rec_unknown));
    let rec_missing = c.mc("POST", "/api/recover", None, Some(json!({}))).await;
    snap(&mut l, "recover_missing_400", &answer(&rec_missing));
    let rec_challenge = rec.body["challenge"].as_str().unwrap_or_default();
    let rv = c
        .mc(
            "POST",
            "/api/recover/verify",
            None,
            Some(json!({"pending_id": rec.body["pending_id"], "signature": keys.sign(rec_challenge)})),
        )
        .await;
    snap(&mut l, "recover_verify", &answer(&rv));
    let rv_missing = c
        .mc("POST", "/api/recover/verify", None, Some(json!({})))
        .await;
    snap(&mut l, "recover_verify_missing_400", &answer(&rv_missing));
    // Slugs and keys.
    let free = c.mc("GET", "/api/check?slug=free-slug", None, None).await;
    snap(&mut l, "check_free", &answer(&free));
    let used = c.mc("GET", "/api/check?slug=nole-site", None, None).await;
    snap(&mut l, "check_taken", &answer(&used));
    let bad_slug = c.mc("GET", "/api/check?slug=A!", None, None).await;
    snap(&mut l, "check_invalid", &answer(&bad_slug));
    let reg = c
        .mc(
            "POST",
            "/api/check-registration",
            None,
            Some(json!({"public_key": keys.pem})),
        )
        .await;
    snap(&mut l, "check_registration_yes", &answer(&reg));
    let unreg = c
        .mc(
            "POST",
            "/api/check-registration",
            None,
            Some(json!({"public_key": other.pem})),
        )
        .await;
    snap(&mut l, "check_registration_no", &answer(&unreg));
    let no_key = c
        .mc("POST", "/api/check-registration", None, Some(json!({})))
        .await;
    snap(&mut l, "check_registration_missing_400", &answer(&no_key));
}

#[actix_rt::test]
async fn profile_sites_and_guestbook() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let (b, _) = citizen(&c, &mut l, "Bob", "bob-site").await;
    let me = c.mc("GET", "/api/me", Some(&a.key), None).await;
    snap(&mut l, "me", &answer(&me));
    let patched = c
        .mc(
            "PATCH",
            "/api/me",
            Some(&a.key),
            Some(json!({"status": "testing", "skills": ["alpha", "beta"]})),
        )
        .await;
    snap(&mut l, "me_patch", &answer(&patched));
    let bad_patch = c
        .mc("PATCH", "/api/me", Some(&a.key), Some(json!({"name": ""})))
        .await;
    snap(&mut l, "me_patch_invalid_400", &answer(&bad_patch));
    // Authentication failures.
    let none = c.mc("GET", "/api/me", None, None).await;
    snap(&mut l, "auth_no_header_401", &answer(&none));
    let unknown = c.mc("GET", "/api/me", Some(UNKNOWN_KEY), None).await;
    snap(&mut l, "auth_unknown_key_401", &answer(&unknown));
    let mut res = c
        .http
        .get(c.url_of("/api/me"))
        .insert_header(("Authorization", "Token abc"))
        .send()
        .await
        .expect("request");
    let malformed = Client::finish_pub(&mut res).await;
    snap(&mut l, "auth_malformed_header_401", &answer(&malformed));
    // Sites.
    let site = c
        .mc(
            "POST",
            "/api/sites",
            Some(&a.key),
            Some(json!({"slug": "alice-two", "title": "Second site", "content": "<p>hi</p>"})),
        )
        .await;
    snap(&mut l, "site_create", &answer(&site));
    let site_taken = c
        .mc(
            "POST",
            "/api/sites",
            Some(&b.key),
            Some(json!({"slug": "alice-two", "title": "Mine now"})),
        )
        .await;
    snap(&mut l, "site_create_taken_409", &answer(&site_taken));
    let site_missing = c
        .mc(
            "POST",
            "/api/sites",
            Some(&b.key),
            Some(json!({"slug": "x-y-z"})),
        )
        .await;
    snap(&mut l, "site_create_missing_400", &answer(&site_missing));
    let follow = c
        .mc("POST", "/api/sites/alice-site/follow", Some(&b.key), None)
        .await;
    snap(&mut l, "site_follow_new", &answer(&follow));
    let again = c
        .mc("POST", "/api/sites/alice-site/follow", Some(&b.key), None)
        .await;
    snap(&mut l, "site_follow_again", &answer(&again));
    let get = c.mc("GET", "/api/sites/alice-site", None, None).await;
    snap(&mut l, "site_get", &answer(&get));
    let missing = c.mc("GET", "/api/sites/no-such-site", None, None).await;
    snap(&mut l, "site_get_404", &answer(&missing));
    // Guestbook: as an agent, anonymously, errors, the list.
    let signed = c
        .mc(
            "POST",
            "/api/sites/alice-site/guestbook",
            Some(&b.key),
            Some(json!({"message": "Nice site!"})),
        )
        .await;
    snap(&mut l, "guestbook_sign_agent", &answer(&signed));
    let anon = c
        .mc(
            "POST",
            "/api/sites/alice-site/guestbook",
            None,
            Some(json!({"author_name": "Visitor", "message": "Hello"})),
        )
        .await;
    snap(&mut l, "guestbook_sign_anonymous", &answer(&anon));
    let empty = c
        .mc(
            "POST",
            "/api/sites/alice-site/guestbook",
            None,
            Some(json!({"message": ""})),
        )
        .await;
    snap(&mut l, "guestbook_sign_invalid_400", &answer(&empty));
    let own = c
        .mc(
            "POST",
            "/api/sites/alice-site/guestbook",
            Some(&a.key),
            Some(json!({"message": "My own"})),
        )
        .await;
    snap(&mut l, "guestbook_sign_own", &answer(&own));
    let nosite = c
        .mc(
            "POST",
            "/api/sites/no-such-site/guestbook",
            None,
            Some(json!({"author_name": "Visitor", "message": "Hi"})),
        )
        .await;
    snap(&mut l, "guestbook_sign_404", &answer(&nosite));
    let list = c
        .mc("GET", "/api/sites/alice-site/guestbook", None, None)
        .await;
    snap(&mut l, "guestbook_list", &answer(&list));
    let bad_limit = c
        .mc("GET", "/api/sites/alice-site/guestbook?limit=0", None, None)
        .await;
    snap(&mut l, "guestbook_list_bad_limit_400", &answer(&bad_limit));
    // No such route.
    let nope = c.mc("GET", "/api/no-such-route", None, None).await;
    snap(&mut l, "unknown_route_404", &answer(&nope));
}

#[actix_rt::test]
async fn inbox() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let (b, _) = citizen(&c, &mut l, "Bob", "bob-site").await;
    let sent = c
        .mc(
            "POST",
            "/api/agents/alice-site/message",
            Some(&b.key),
            Some(json!({"subject": "Hello", "body": "Hi Alice"})),
        )
        .await;
    snap(&mut l, "inbox_send", &answer(&sent));
    let sent2 = c
        .mc(
            "POST",
            &format!("/api/agents/{}/message", b.id),
            Some(&a.key),
            Some(json!({"body": "No subject"})),
        )
        .await;
    snap(&mut l, "inbox_send_by_id", &answer(&sent2));
    let to_self = c
        .mc(
            "POST",
            "/api/agents/alice-site/message",
            Some(&a.key),
            Some(json!({"body": "me"})),
        )
        .await;
    snap(&mut l, "inbox_send_to_self", &answer(&to_self));
    let nobody = c
        .mc(
            "POST",
            "/api/agents/nobody-here/message",
            Some(&a.key),
            Some(json!({"body": "x"})),
        )
        .await;
    snap(&mut l, "inbox_send_404", &answer(&nobody));
    let empty = c
        .mc(
            "POST",
            "/api/agents/bob-site/message",
            Some(&a.key),
            Some(json!({"body": ""})),
        )
        .await;
    snap(&mut l, "inbox_send_invalid_400", &answer(&empty));
    let list = c.mc("GET", "/api/inbox", Some(&a.key), None).await;
    snap(&mut l, "inbox_list", &answer(&list));
    let id = list.body["messages"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let stats = c.mc("GET", "/api/inbox/stats", Some(&a.key), None).await;
    snap(&mut l, "inbox_stats", &answer(&stats));
    let out = c.mc("GET", "/api/inbox/sent", Some(&b.key), None).await;
    snap(&mut l, "inbox_sent", &answer(&out));
    let read = c
        .mc("POST", &format!("/api/inbox/{id}/read"), Some(&a.key), None)
        .await;
    snap(&mut l, "inbox_mark_read", &answer(&read));
    let read_patch = c
        .mc(
            "PATCH",
            &format!("/api/inbox/{id}/read"),
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "inbox_mark_read_patch", &answer(&read_patch));
    let unread_list = c
        .mc("GET", "/api/inbox?unread=true", Some(&a.key), None)
        .await;
    snap(&mut l, "inbox_list_unread_empty", &answer(&unread_list));
    let read_list = c.mc("GET", "/api/inbox", Some(&a.key), None).await;
    snap(&mut l, "inbox_list_read", &answer(&read_list));
    let out_read = c.mc("GET", "/api/inbox/sent", Some(&b.key), None).await;
    snap(&mut l, "inbox_sent_read", &answer(&out_read));
    let patch = c
        .mc(
            "PATCH",
            &format!("/api/inbox/{id}"),
            Some(&a.key),
            Some(json!({"read": false})),
        )
        .await;
    snap(&mut l, "inbox_patch", &answer(&patch));
    let patch_bad = c
        .mc(
            "PATCH",
            &format!("/api/inbox/{id}"),
            Some(&a.key),
            Some(json!({})),
        )
        .await;
    snap(&mut l, "inbox_patch_missing_400", &answer(&patch_bad));
    let not_mine = c
        .mc("POST", &format!("/api/inbox/{id}/read"), Some(&b.key), None)
        .await;
    snap(&mut l, "inbox_mark_read_not_mine_404", &answer(&not_mine));
    let del = c
        .mc("DELETE", &format!("/api/inbox/{id}"), Some(&a.key), None)
        .await;
    snap(&mut l, "inbox_delete", &answer(&del));
    let del_again = c
        .mc("DELETE", &format!("/api/inbox/{id}"), Some(&a.key), None)
        .await;
    snap(&mut l, "inbox_delete_404", &answer(&del_again));
    let bad_limit = c
        .mc("GET", "/api/inbox?limit=abc", Some(&a.key), None)
        .await;
    snap(&mut l, "inbox_list_bad_limit_400", &answer(&bad_limit));
}

#[actix_rt::test]
async fn jobs() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let (b, _) = citizen(&c, &mut l, "Bob", "bob-site").await;
    let description = "Write a haiku about WebSockets and post it to your site.";
    let posted = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&a.key),
            Some(json!({
                "title": "Write a haiku",
                "description": description,
                "reward_lamports": 1_500_000_000_i64,
                "verification_template": "manual_approval",
                "verification_params": {"note": "any"},
                "expires_in_hours": 24,
            })),
        )
        .await;
    snap(&mut l, "job_post", &answer(&posted));
    let plain = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&a.key),
            Some(json!({"title": "Second job", "description": description})),
        )
        .await;
    snap(&mut l, "job_post_plain", &answer(&plain));
    let invalid = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&a.key),
            Some(json!({"title": "Hi", "description": description})),
        )
        .await;
    snap(&mut l, "job_post_invalid_400", &answer(&invalid));
    let id = posted.body["job_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id2 = plain.body["job_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let get = c.mc("GET", &format!("/api/jobs/{id}"), None, None).await;
    snap(&mut l, "job_get", &answer(&get));
    let missing = c.mc("GET", "/api/jobs/no-such-job", None, None).await;
    snap(&mut l, "job_get_404", &answer(&missing));
    let own = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/attempt"),
            Some(&a.key),
            Some(json!({})),
        )
        .await;
    snap(&mut l, "job_attempt_own_400", &answer(&own));
    let attempt = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/attempt"),
            Some(&b.key),
            Some(json!({"message": "I can do it"})),
        )
        .await;
    snap(&mut l, "job_attempt_new", &answer(&attempt));
    let again = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/attempt"),
            Some(&b.key),
            Some(json!({})),
        )
        .await;
    snap(&mut l, "job_attempt_again", &answer(&again));
    let no_proof = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/submit"),
            Some(&b.key),
            Some(json!({})),
        )
        .await;
    snap(&mut l, "job_submit_missing_400", &answer(&no_proof));
    let submitted = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/submit"),
            Some(&b.key),
            Some(json!({"proof": "https://example.invalid/haiku"})),
        )
        .await;
    snap(&mut l, "job_submit", &answer(&submitted));
    let not_poster = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/approve"),
            Some(&b.key),
            None,
        )
        .await;
    snap(&mut l, "job_approve_not_poster_403", &answer(&not_poster));
    let approved = c
        .mc(
            "POST",
            &format!("/api/jobs/{id}/approve"),
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "job_approve", &answer(&approved));
    let listed = c.mc("GET", "/api/jobs", None, None).await;
    snap(&mut l, "job_list", &answer(&listed));
    let open = c
        .mc("GET", "/api/jobs?status=open&limit=5", None, None)
        .await;
    snap(&mut l, "job_list_open", &answer(&open));
    let bad_limit = c.mc("GET", "/api/jobs?limit=101", None, None).await;
    snap(&mut l, "job_list_bad_limit_400", &answer(&bad_limit));
    let short = c
        .mc(
            "POST",
            &format!("/api/jobs/{id2}/dispute"),
            Some(&a.key),
            Some(json!({"reason": "short"})),
        )
        .await;
    snap(&mut l, "job_dispute_invalid", &answer(&short));
    let cancel_other = c
        .mc(
            "POST",
            &format!("/api/jobs/{id2}/cancel"),
            Some(&b.key),
            None,
        )
        .await;
    snap(&mut l, "job_cancel_not_poster_403", &answer(&cancel_other));
    let cancelled = c
        .mc(
            "POST",
            &format!("/api/jobs/{id2}/cancel"),
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "job_cancel", &answer(&cancelled));
    let cancel_again = c
        .mc(
            "POST",
            &format!("/api/jobs/{id2}/cancel"),
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "job_cancel_again", &answer(&cancel_again));
    // A third job: attempted, submitted, disputed by the poster.
    let third = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&a.key),
            Some(json!({"title": "Third job", "description": description})),
        )
        .await;
    let id3 = third.body["job_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    c.mc(
        "POST",
        &format!("/api/jobs/{id3}/attempt"),
        Some(&b.key),
        Some(json!({})),
    )
    .await;
    c.mc(
        "POST",
        &format!("/api/jobs/{id3}/submit"),
        Some(&b.key),
        Some(json!({"proof": "done"})),
    )
    .await;
    let disputed = c
        .mc(
            "POST",
            &format!("/api/jobs/{id3}/dispute"),
            Some(&a.key),
            Some(json!({"reason": "The haiku has the wrong number of syllables."})),
        )
        .await;
    snap(&mut l, "job_dispute", &answer(&disputed));
}

#[actix_rt::test]
async fn notification_feed() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let (b, _) = citizen(&c, &mut l, "Bob", "bob-site").await;
    let empty = c.mc("GET", "/api/notifications", Some(&a.key), None).await;
    snap(&mut l, "feed_empty", &answer(&empty));
    // One of each kind for Alice, and job statuses for Bob.
    c.mc(
        "POST",
        "/api/agents/alice-site/message",
        Some(&b.key),
        Some(json!({"subject": "Hello", "body": "Hi Alice"})),
    )
    .await;
    c.mc(
        "POST",
        "/api/sites/alice-site/guestbook",
        Some(&b.key),
        Some(json!({"message": "Nice site!"})),
    )
    .await;
    c.mc(
        "POST",
        "/api/sites/alice-site/guestbook",
        None,
        Some(json!({"author_name": "Visitor", "message": "Anonymous hello"})),
    )
    .await;
    let job = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&a.key),
            Some(json!({"title": "Write a haiku", "description": "Write a haiku about WebSockets, please.", "reward_lamports": 5})),
        )
        .await;
    let jid = job.body["job_id"].as_str().unwrap_or_default().to_string();
    c.mc(
        "POST",
        &format!("/api/jobs/{jid}/attempt"),
        Some(&b.key),
        Some(json!({"message": "Me!"})),
    )
    .await;
    c.mc(
        "POST",
        &format!("/api/jobs/{jid}/submit"),
        Some(&b.key),
        Some(json!({"proof": "done"})),
    )
    .await;
    c.mc(
        "POST",
        &format!("/api/jobs/{jid}/approve"),
        Some(&a.key),
        None,
    )
    .await;
    c.mc(
        "POST",
        "/api/chat",
        Some(&b.key),
        Some(json!({"message": "hey @alice-site in chat"})),
    )
    .await;
    c.mc(
        "POST",
        "/api/town-square",
        Some(&b.key),
        Some(json!({"message": "hey @alice-site on the square"})),
    )
    .await;
    let feed = c.mc("GET", "/api/notifications", Some(&a.key), None).await;
    snap(&mut l, "feed_alice", &answer(&feed));
    let bob_feed = c.mc("GET", "/api/notifications", Some(&b.key), None).await;
    snap(&mut l, "feed_bob", &answer(&bob_feed));
    let page = c
        .mc("GET", "/api/notifications?limit=2", Some(&a.key), None)
        .await;
    snap(&mut l, "feed_page", &answer(&page));
    let stats = c
        .mc("GET", "/api/notifications/stats", Some(&a.key), None)
        .await;
    snap(&mut l, "feed_stats", &answer(&stats));
    let first = feed.body["notifications"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let second = feed.body["notifications"][1]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let one = c
        .mc(
            "POST",
            &format!("/api/notifications/{first}/read"),
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "feed_read_one", &answer(&one));
    let bad = c
        .mc("POST", "/api/notifications/bogus/read", Some(&a.key), None)
        .await;
    snap(&mut l, "feed_read_one_invalid_400", &answer(&bad));
    let unknown = c
        .mc(
            "POST",
            "/api/notifications/notif_nonexistent/read",
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "feed_read_one_404", &answer(&unknown));
    let many = c
        .mc(
            "POST",
            "/api/notifications/read",
            Some(&a.key),
            Some(json!({"ids": [second, "bogus", 7, "notif_nonexistent"]})),
        )
        .await;
    snap(&mut l, "feed_read_many", &answer(&many));
    let many_bad = c
        .mc(
            "POST",
            "/api/notifications/read",
            Some(&a.key),
            Some(json!({"ids": []})),
        )
        .await;
    snap(&mut l, "feed_read_many_invalid_400", &answer(&many_bad));
    let unread = c
        .mc("GET", "/api/notifications?unread=true", Some(&a.key), None)
        .await;
    snap(&mut l, "feed_unread", &answer(&unread));
    let bad_since = c
        .mc(
            "GET",
            "/api/notifications?since=yesterday",
            Some(&a.key),
            None,
        )
        .await;
    snap(&mut l, "feed_bad_since_400", &answer(&bad_since));
}

#[actix_rt::test]
async fn chat_and_town_square() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let empty = c.mc("GET", "/api/chat", None, None).await;
    snap(&mut l, "chat_list_empty", &answer(&empty));
    let empty_square = c.mc("GET", "/api/town-square", None, None).await;
    snap(&mut l, "town_square_list_empty", &answer(&empty_square));
    let chat = c
        .mc(
            "POST",
            "/api/chat",
            Some(&a.key),
            Some(json!({"message": "Hello chat"})),
        )
        .await;
    snap(&mut l, "chat_post", &answer(&chat));
    let square = c
        .mc(
            "POST",
            "/api/town-square",
            Some(&a.key),
            Some(json!({"message": "Hello square"})),
        )
        .await;
    snap(&mut l, "town_square_post", &answer(&square));
    let not_string = c
        .mc(
            "POST",
            "/api/chat",
            Some(&a.key),
            Some(json!({"message": 5})),
        )
        .await;
    snap(&mut l, "chat_post_not_string_400", &answer(&not_string));
    let missing = c
        .mc("POST", "/api/town-square", Some(&a.key), Some(json!({})))
        .await;
    snap(&mut l, "town_square_post_missing_400", &answer(&missing));
    let anonymous = c
        .mc("POST", "/api/chat", None, Some(json!({"message": "hi"})))
        .await;
    snap(&mut l, "chat_post_401", &answer(&anonymous));
    let list = c.mc("GET", "/api/chat", None, None).await;
    snap(&mut l, "chat_list", &answer(&list));
    let squares = c.mc("GET", "/api/town-square?limit=1", None, None).await;
    snap(&mut l, "town_square_list", &answer(&squares));
    let bad_after = c.mc("GET", "/api/chat?after=nonsense", None, None).await;
    snap(&mut l, "chat_list_bad_after_400", &answer(&bad_after));
    // The chat rate (one post per 10 s) on a server that enforces it.
    let s2 = Server::start_with(&[("AGENTGATE_CHAT_RATE_LIMIT_SECS", "10")]);
    let c2 = s2.client();
    let (r, _) = citizen(&c2, &mut l, "Rita", "rita-site").await;
    c2.mc(
        "POST",
        "/api/chat",
        Some(&r.key),
        Some(json!({"message": "one"})),
    )
    .await;
    let limited = c2
        .mc(
            "POST",
            "/api/chat",
            Some(&r.key),
            Some(json!({"message": "two"})),
        )
        .await;
    snap(
        &mut l,
        "chat_post_rate_limited_429",
        &json!({ "status": limited.status, "retry_after_header": limited.header("retry-after"), "body": limited.body }),
    );
}

/// Raw HTTP with headers: (status, body as JSON or as text).
async fn http(s: &Server, path: &str, headers: &[(&str, &str)]) -> Value {
    let c = awc::Client::new();
    let mut req = c.get(s.url(path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.expect("request");
    let body = res.body().await.expect("body");
    let text = String::from_utf8_lossy(&body).to_string();
    json!({
        "status": res.status().as_u16(),
        "body": serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)),
    })
}

const UPGRADE: [(&str, &str); 4] = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
];

#[actix_rt::test]
async fn websocket_personal_channel() {
    let s = Server::start();
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let (b, _) = citizen(&c, &mut l, "Bob", "bob-site").await;
    // Refused upgrades.
    snap(
        &mut l,
        "ws_upgrade_plain_http_426",
        &http(&s, "/ws", &[]).await,
    );
    snap(
        &mut l,
        "ws_upgrade_no_key_401",
        &http(&s, "/api/ws", &UPGRADE).await,
    );
    snap(
        &mut l,
        "ws_upgrade_unknown_key_401",
        &http(&s, &format!("/ws?token={UNKNOWN_KEY}"), &UPGRADE).await,
    );
    // A notification queued while offline is replayed after `connected`.
    c.mc(
        "POST",
        "/api/agents/alice-site/message",
        Some(&b.key),
        Some(json!({"subject": "Queued", "body": "Sent while you were away"})),
    )
    .await;
    let mut ws = Ws::open(&s, &a.key, None).await;
    let connected = ws.json().await;
    snap(&mut l, "ws_personal_connected", &connected);
    let queued = ws.json().await;
    snap(&mut l, "ws_notification_inbox_message_queued", &queued);
    // Client frames and their answers.
    let pong = ws.ping().await;
    snap(&mut l, "ws_pong", &pong);
    ws.text("{nope").await;
    snap(&mut l, "ws_error_invalid_json", &ws.json().await);
    ws.binary(b"\x00\x01").await;
    snap(&mut l, "ws_error_binary", &ws.json().await);
    ws.send(json!({"type": "dance"})).await;
    snap(&mut l, "ws_error_unknown_type", &ws.json().await);
    ws.send(json!({"type": "subscribe", "events": "mention"}))
        .await;
    snap(&mut l, "ws_error_subscribe", &ws.json().await);
    // The ack is silent; the ping after it proves it was handled.
    ws.send(json!({"type": "ack", "notification_id": queued["id"]}))
        .await;
    ws.ping().await;
    // Live notifications of every kind.
    c.mc(
        "POST",
        "/api/agents/alice-site/message",
        Some(&b.key),
        Some(json!({"body": "Live, no subject"})),
    )
    .await;
    snap(
        &mut l,
        "ws_notification_inbox_message_live",
        &ws.json().await,
    );
    c.mc(
        "POST",
        "/api/sites/alice-site/guestbook",
        Some(&b.key),
        Some(json!({"message": "Signed by Bob"})),
    )
    .await;
    snap(&mut l, "ws_notification_guestbook_agent", &ws.json().await);
    c.mc(
        "POST",
        "/api/sites/alice-site/guestbook",
        None,
        Some(json!({"author_name": "Visitor", "message": "Anonymous"})),
    )
    .await;
    snap(
        &mut l,
        "ws_notification_guestbook_anonymous",
        &ws.json().await,
    );
    let job = c
        .mc(
            "POST",
            "/api/jobs",
            Some(&a.key),
            Some(json!({"title": "Write a haiku", "description": "Write a haiku about WebSockets, please.", "reward_lamports": 7})),
        )
        .await;
    let jid = job.body["job_id"].as_str().unwrap_or_default().to_string();
    c.mc(
        "POST",
        &format!("/api/jobs/{jid}/attempt"),
        Some(&b.key),
        Some(json!({"message": "Me!"})),
    )
    .await;
    snap(&mut l, "ws_notification_job_application", &ws.json().await);
    c.mc(
        "POST",
        &format!("/api/jobs/{jid}/submit"),
        Some(&b.key),
        Some(json!({"proof": "done"})),
    )
    .await;
    snap(
        &mut l,
        "ws_notification_job_status_submitted",
        &ws.json().await,
    );
    c.mc(
        "POST",
        "/api/chat",
        Some(&b.key),
        Some(json!({"message": "hey @alice-site in chat"})),
    )
    .await;
    snap(&mut l, "ws_notification_mention_chat", &ws.json().await);
    c.mc(
        "POST",
        "/api/town-square",
        Some(&b.key),
        Some(json!({"message": "hey @alice-site on the square"})),
    )
    .await;
    snap(
        &mut l,
        "ws_notification_mention_town_square",
        &ws.json().await,
    );
    // Subscribe echoes the list as sent.
    ws.send(json!({"type": "subscribe", "events": ["job.status", "mention.chat", "nonsense"]}))
        .await;
    snap(&mut l, "ws_subscribed", &ws.json().await);
    // Bob's socket gets the approval (a job status set by the poster).
    let (mut wb, _) = {
        let mut w = Ws::open(&s, &b.key, None).await;
        let first = w.json().await;
        (w, first)
    };
    // Bob's queue: skip his replayed notifications (none so far: he got none).
    c.mc(
        "POST",
        &format!("/api/jobs/{jid}/approve"),
        Some(&a.key),
        None,
    )
    .await;
    snap(
        &mut l,
        "ws_notification_job_status_approved",
        &wb.json().await,
    );
    // The status counts, with two personal sockets open.
    let status = c.mc("GET", "/api/ws/status", Some(&a.key), None).await;
    snap(&mut l, "ws_status", &answer(&status));
    let no_key = c.mc("GET", "/api/ws/status", None, None).await;
    snap(&mut l, "ws_status_no_key_401", &answer(&no_key));
    let unknown = c.mc("GET", "/api/ws/status", Some(UNKNOWN_KEY), None).await;
    snap(&mut l, "ws_status_unknown_key_401", &answer(&unknown));
    let malformed = http(&s, "/api/ws/status", &[("Authorization", "Token abc")]).await;
    snap(&mut l, "ws_status_malformed_401", &malformed);
    // A second socket of Alice displaces the first (a close frame, no JSON).
    let mut ws2 = Ws::open(&s, &a.key, None).await;
    snap(&mut l, "ws_personal_connected_again", &ws2.json().await);
    let (code, reason) = ws.close_frame(common::mc_ws::WAIT).await;
    snap(
        &mut l,
        "ws_personal_displaced_close",
        &json!({"code": code, "reason": reason}),
    );
    ws2.close().await;
    wb.close().await;
}

#[actix_rt::test]
async fn websocket_town_square() {
    let s = Server::start_with(&[("AGENTGATE_WS_FRAMES_PER_SEC", "1")]);
    let c = s.client();
    let mut l = Labels::for_server(&s);
    let (a, _) = citizen(&c, &mut l, "Alice", "alice-site").await;
    let (b, _) = citizen(&c, &mut l, "Bob", "bob-site").await;
    let mut wa = Ws::open(&s, &a.key, Some("town-square")).await;
    snap(&mut l, "ws_square_connected_first", &wa.json().await);
    let mut wb = Ws::open(&s, &b.key, Some("town-square")).await;
    snap(&mut l, "ws_square_connected_second", &wb.json().await);
    snap(&mut l, "ws_square_presence_joined", &wa.json().await);
    c.mc(
        "POST",
        "/api/chat",
        Some(&b.key),
        Some(json!({"message": "Hello everyone"})),
    )
    .await;
    snap(&mut l, "ws_square_chat_to_others", &wa.json().await);
    snap(&mut l, "ws_square_chat_to_poster", &wb.json().await);
    let pong = wa.ping().await;
    snap(&mut l, "ws_square_pong", &pong);
    wa.send(json!({"type": "chat", "message": "via socket"}))
        .await;
    snap(&mut l, "ws_square_error_chat", &wa.json().await);
    // One frame per second with bursts of two: the third frame in a row is refused.
    wb.text("{nope").await;
    snap(&mut l, "ws_square_error_invalid_json", &wb.json().await);
    wb.text("{nope").await;
    wb.json().await;
    wb.text("{nope").await;
    snap(&mut l, "ws_error_rate_limited", &wb.json().await);
    wb.close().await;
    snap(&mut l, "ws_square_presence_left", &wa.json().await);
    wa.close().await;
}
