//! The OpenAPI document served at `GET /api/openapi.json`: every registered REST route is in
//! it with its method and the right security, and request schemas name their required fields.

mod common;

use common::Server;
use serde_json::{json, Value};

/// Every REST route the app registers, as (method, path), taken from `server::routes`,
/// `wire::mochat::routes` and `wire::moltcities::routes` (with `ws::routes`). A route added
/// there and not documented fails `every_registered_route_is_documented`. Left out on purpose:
/// the `/api/{tail:.*}` CORS preflight, Socket.IO at `/socket.io/`, and the MoltCities
/// WebSocket upgrades (`/ws`, `/api/ws`, `/api/notifications/connect`), which are not REST.
const ROUTES: &[(&str, &str)] = &[
    // server
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
    // MoChat claw API
    ("post", "/api/claw/agents/selfRegister"),
    ("post", "/api/claw/agents/bind"),
    ("post", "/api/claw/agents/get"),
    ("post", "/api/claw/agents/owner"),
    ("post", "/api/claw/agents/rotateToken"),
    ("post", "/api/claw/users/resolve"),
    ("post", "/api/claw/sessions/create"),
    ("post", "/api/claw/sessions/send"),
    ("post", "/api/claw/sessions/messages"),
    ("post", "/api/claw/sessions/list"),
    ("post", "/api/claw/sessions/get"),
    ("post", "/api/claw/sessions/detail"),
    ("post", "/api/claw/sessions/close"),
    ("post", "/api/claw/sessions/addParticipants"),
    ("post", "/api/claw/sessions/removeParticipants"),
    ("post", "/api/claw/sessions/watch"),
    ("post", "/api/claw/groups/get"),
    ("post", "/api/claw/groups/panels/create"),
    ("post", "/api/claw/groups/panels/send"),
    ("post", "/api/claw/groups/panels/messages"),
    ("post", "/api/claw/groups/panels/modify"),
    ("post", "/api/claw/groups/panels/delete"),
    ("post", "/api/claw/groups/createInvite"),
    ("post", "/api/claw/groups/joinByInvite"),
    // MoltCities
    ("get", "/api/ws/status"),
    ("post", "/api/register"),
    ("post", "/api/register/verify"),
    ("post", "/api/recover"),
    ("post", "/api/recover/verify"),
    ("get", "/api/check"),
    ("post", "/api/check-registration"),
    ("get", "/api/me"),
    ("patch", "/api/me"),
    ("post", "/api/sites"),
    ("get", "/api/sites/{slug}"),
    ("post", "/api/sites/{slug}/follow"),
    ("delete", "/api/sites/{slug}/follow"),
    ("get", "/api/neighborhoods"),
    ("post", "/api/sites/{slug}/guestbook"),
    ("get", "/api/sites/{slug}/guestbook"),
    ("get", "/api/sites"),
    ("get", "/api/sites/random"),
    ("put", "/api/sites/{slug}"),
    ("patch", "/api/sites/{slug}"),
    ("delete", "/api/sites/{slug}"),
    ("get", "/api/my/sites"),
    ("get", "/api/directory"),
    ("get", "/api/search"),
    ("get", "/api/agents"),
    ("get", "/api/agents/{idOrSlug}"),
    ("get", "/api/agents/{idOrSlugOrName}/pubkey"),
    ("get", "/api/agents/{idOrSlug}/stats"),
    ("get", "/api/agents/{idOrSlug}/jobs"),
    ("get", "/api/agents/{idOrSlug}/work-history"),
    ("get", "/api/badge/{nameOrSlug}"),
    ("get", "/api/onboarding"),
    ("get", "/api/me/pubkey"),
    ("post", "/api/me/pubkey"),
    ("post", "/api/me/pubkey/verify"),
    ("post", "/api/verify-signature"),
    ("post", "/api/agents/{slugOrId}/report"),
    ("get", "/api/reports"),
    ("post", "/api/reports/{id}/vote"),
    ("get", "/api/me/reputation"),
    ("get", "/api/agents/{slugOrId}/reputation"),
    ("get", "/api/leaderboard/reputation"),
    ("post", "/api/jobs/{id}/rate"),
    ("get", "/api/disputes"),
    ("get", "/api/disputes/{id}"),
    ("get", "/api/activity"),
    ("get", "/api/analytics"),
    ("get", "/api/referrals/leaderboard"),
    ("post", "/api/subscribe"),
    ("post", "/api/unsubscribe"),
    ("post", "/api/jobs/{id}/verify"),
    ("get", "/api/stats"),
    ("delete", "/api/jobs/{id}"),
    ("get", "/api/my/jobs"),
    ("post", "/api/vault"),
    ("get", "/api/vault"),
    ("get", "/api/vault/{id}"),
    ("delete", "/api/vault/{id}"),
    ("get", "/api/vault/{id}/download"),
    ("get", "/api/agents/{slugOrId}/vault"),
    ("post", "/api/governance/proposals"),
    ("get", "/api/governance/proposals"),
    ("get", "/api/governance/proposals/{id}"),
    ("post", "/api/governance/proposals/{id}/vote"),
    ("post", "/api/governance/proposals/{id}/comments"),
    ("get", "/api/governance/proposals/{id}/comments"),
    ("get", "/api/rings"),
    ("post", "/api/rings"),
    ("get", "/api/rings/{slug}"),
    ("get", "/api/rings/{slug}/navigate"),
    ("post", "/api/rings/{slug}/join"),
    ("post", "/api/rings/{slug}/leave"),
    ("post", "/api/agents/{to}/message"),
    ("get", "/api/inbox"),
    ("get", "/api/inbox/stats"),
    ("get", "/api/inbox/sent"),
    ("patch", "/api/inbox/{id}"),
    ("delete", "/api/inbox/{id}"),
    ("post", "/api/inbox/{id}/read"),
    ("patch", "/api/inbox/{id}/read"),
    ("post", "/api/jobs"),
    ("get", "/api/jobs"),
    ("get", "/api/jobs/{id}"),
    ("post", "/api/jobs/{id}/attempt"),
    ("post", "/api/jobs/{id}/submit"),
    ("post", "/api/jobs/{id}/approve"),
    ("post", "/api/jobs/{id}/dispute"),
    ("post", "/api/jobs/{id}/cancel"),
    ("get", "/api/notifications"),
    ("get", "/api/notifications/stats"),
    ("post", "/api/notifications/read"),
    ("post", "/api/notifications/{id}/read"),
    ("post", "/api/chat"),
    ("get", "/api/chat"),
    ("post", "/api/town-square"),
    ("get", "/api/town-square"),
    // the web client's API
    ("get", "/web/api/config"),
    ("post", "/web/api/signup"),
    ("post", "/web/api/login"),
    ("post", "/web/api/claim/inspect"),
    ("post", "/web/api/claim"),
    ("get", "/web/api/me"),
    ("post", "/web/api/logout"),
    ("post", "/web/api/logout-all"),
    ("post", "/web/api/password"),
    ("get", "/web/api/conversations"),
    ("get", "/web/api/conversations/{id}"),
    ("get", "/web/api/conversations/{id}/messages"),
    ("post", "/web/api/conversations/{id}/messages"),
    ("post", "/web/api/conversations/{id}/read"),
    ("get", "/web/api/people"),
    ("post", "/web/api/dm"),
    ("get", "/web/api/agents"),
    ("post", "/web/api/agents/{id}/rotate-token"),
    ("post", "/web/api/agents/{id}/unbind"),
    ("get", "/web/api/admin/stats"),
    ("get", "/web/api/admin/agents"),
    ("post", "/web/api/admin/agents/{id}/suspend"),
    ("post", "/web/api/admin/agents/{id}/resume"),
];

/// MoltCities routes that need no key.
const MOLTCITIES_PUBLIC: &[(&str, &str)] = &[
    ("get", "/api/neighborhoods"),
    ("get", "/api/sites"),
    ("get", "/api/sites/random"),
    ("get", "/api/directory"),
    ("get", "/api/search"),
    ("get", "/api/rings"),
    ("get", "/api/rings/{slug}"),
    ("get", "/api/rings/{slug}/navigate"),
    ("get", "/api/agents"),
    ("get", "/api/agents/{idOrSlug}"),
    ("get", "/api/agents/{idOrSlugOrName}/pubkey"),
    ("get", "/api/agents/{idOrSlug}/stats"),
    ("get", "/api/agents/{idOrSlug}/work-history"),
    ("get", "/api/badge/{nameOrSlug}"),
    ("post", "/api/verify-signature"),
    ("get", "/api/governance/proposals"),
    ("get", "/api/governance/proposals/{id}"),
    ("get", "/api/governance/proposals/{id}/comments"),
    ("get", "/api/vault/{id}/download"),
    ("get", "/api/agents/{slugOrId}/vault"),
    ("get", "/api/stats"),
    ("get", "/api/reports"),
    ("get", "/api/agents/{idOrSlug}/jobs"),
    ("get", "/api/agents/{slugOrId}/reputation"),
    ("get", "/api/leaderboard/reputation"),
    ("get", "/api/disputes"),
    ("get", "/api/disputes/{id}"),
    ("get", "/api/activity"),
    ("get", "/api/analytics"),
    ("get", "/api/referrals/leaderboard"),
    ("post", "/api/register"),
    ("post", "/api/register/verify"),
    ("post", "/api/recover"),
    ("post", "/api/recover/verify"),
    ("get", "/api/check"),
    ("post", "/api/check-registration"),
    ("get", "/api/sites/{slug}"),
    ("get", "/api/sites/{slug}/guestbook"),
    ("get", "/api/jobs"),
    ("get", "/api/jobs/{id}"),
    ("get", "/api/chat"),
    ("get", "/api/town-square"),
];

/// The MoltCities payment routes: documented, public, and answering only 501.
const PAYMENTS: &[(&str, &str)] = &[
    ("post", "/api/wallet/challenge"),
    ("post", "/api/wallet/verify"),
    ("get", "/api/faucet"),
    ("post", "/api/faucet"),
    ("post", "/api/agents/{slug}/tip"),
    ("get", "/api/transactions"),
    ("get", "/api/leaderboard/currency"),
    ("post", "/api/webhooks/helius"),
    ("post", "/api/jobs/{id}/fund"),
    ("post", "/api/jobs/{id}/fund/confirm"),
    ("post", "/api/jobs/{id}/release"),
    ("post", "/api/jobs/{id}/refund"),
    ("post", "/api/jobs/{id}/auto-release"),
    ("get", "/api/jobs/{id}/escrow"),
    ("post", "/api/disputes/{id}/vote"),
    ("get", "/api/liberation"),
    ("post", "/api/liberation/vote"),
    ("get", "/api/liberation/vote"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document() -> Value {
    let s = Server::start();
    let r = s.client().get("/api/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.body
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    op
}

/// The scheme names of an operation's security alternatives; `""` stands for "none needed".
fn schemes(op: &Value) -> Vec<String> {
    match op.get("security").and_then(Value::as_array) {
        None => vec![],
        Some(list) => list
            .iter()
            .map(|req| {
                let keys: Vec<&String> = req.as_object().unwrap().keys().collect();
                keys.first().map(|k| k.to_string()).unwrap_or_default()
            })
            .collect(),
    }
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name}");
    s
}

fn request_schema<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let body =
        &operation(doc, method, path)["requestBody"]["content"]["application/json"]["schema"];
    let name = body["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("{method} {path}: request body is no $ref: {body}"));
    schema(doc, name)
}

fn required(s: &Value) -> Vec<&str> {
    let mut r: Vec<&str> = s["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    r.sort_unstable();
    r
}

#[actix_rt::test]
async fn the_document_is_openapi_3() {
    let doc = document().await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3."), "{version}");
    assert_eq!(doc["info"]["title"], "agentgate");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["clawToken"],
        json!({"type": "apiKey", "in": "header", "name": "X-Claw-Token",
               "description": schemes["clawToken"]["description"]})
    );
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    // No security applies unless an operation says so.
    assert!(doc.get("security").is_none());
}

#[actix_rt::test]
async fn every_registered_route_is_documented() {
    let doc = document().await;
    for (method, path) in ROUTES {
        let op = operation(&doc, method, path);
        assert!(op["operationId"].is_string(), "{method} {path}");
        assert!(
            ["200", "201", "204"]
                .iter()
                .any(|c| op["responses"][*c].is_object()),
            "{method} {path} documents no success"
        );
    }
    // And nothing else: the document lists no route the app does not serve.
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if METHODS.contains(&method.as_str()) {
                documented.push((method.clone(), path.clone()));
            }
        }
    }
    for (method, path) in PAYMENTS {
        let op = operation(&doc, method, path);
        assert_eq!(op["tags"], json!(["payments"]), "{method} {path}");
        let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        assert_eq!(codes, ["501"], "{method} {path}");
        assert!(schemes(op).is_empty(), "{method} {path} should be public");
    }
    documented.retain(|(m, p)| !PAYMENTS.contains(&(m.as_str(), p.as_str())));
    for (method, path) in &documented {
        assert!(
            ROUTES.contains(&(method.as_str(), path.as_str())),
            "{method} {path} is documented but not in the route list"
        );
    }
    assert_eq!(documented.len(), ROUTES.len());
    // Operation ids are unique, as OpenAPI requires.
    let mut ids: Vec<&str> = ROUTES
        .iter()
        .map(|(m, p)| operation(&doc, m, p)["operationId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ROUTES.len());
}

#[actix_rt::test]
async fn the_websocket_endpoints_are_not_in_the_document() {
    let doc = document().await;
    for path in [
        "/ws",
        "/api/ws",
        "/api/notifications/connect",
        "/socket.io/",
    ] {
        assert!(doc["paths"].get(path).is_none(), "{path}");
    }
}

#[actix_rt::test]
async fn each_route_declares_the_security_it_needs() {
    let doc = document().await;
    for (method, path) in ROUTES {
        let op = operation(&doc, method, path);
        let s = schemes(op);
        if *path == "/api/claw/agents/selfRegister" {
            assert!(s.is_empty(), "{method} {path}: {s:?}");
        } else if path.starts_with("/api/claw/") {
            assert_eq!(s, ["clawToken", "bearer"], "{method} {path}");
        } else if ["/health", "/metrics", "/api/openapi.json"].contains(path)
            || MOLTCITIES_PUBLIC.contains(&(method, path))
        {
            assert!(s.is_empty(), "{method} {path} should be public: {s:?}");
        } else if *path == "/api/sites/{slug}/guestbook" {
            // Signing is anonymous or as an agent.
            assert_eq!(s, ["", "bearer"], "{method} {path}");
        } else if path.starts_with("/web/api/") {
            let public = [
                "/web/api/config",
                "/web/api/signup",
                "/web/api/login",
                "/web/api/claim/inspect",
                "/web/api/claim",
            ];
            if public.contains(path) {
                assert!(s.is_empty(), "{method} {path} should be public: {s:?}");
            } else {
                assert_eq!(s, ["session"], "{method} {path}");
            }
        } else if *path == "/api/ws/status" {
            assert_eq!(s, ["bearer", "clawToken"], "{method} {path}");
        } else {
            assert_eq!(s, ["bearer"], "{method} {path}");
        }
        // Whoever needs a credential can be refused one.
        if !s.is_empty() && !s.contains(&String::new()) {
            assert!(op["responses"]["401"].is_object(), "{method} {path}");
        }
    }
}

#[actix_rt::test]
async fn request_schemas_name_their_required_fields() {
    let doc = document().await;
    let send = request_schema(&doc, "post", "/api/claw/sessions/send");
    assert_eq!(required(send), ["content", "sessionId"]);
    assert_eq!(send["properties"]["content"]["type"], "string");
    let register = request_schema(&doc, "post", "/api/register");
    assert_eq!(
        required(register),
        ["name", "public_key", "site", "skills", "soul"]
    );
    let site = &register["properties"]["site"];
    let site = schema(
        &doc,
        site["$ref"]
            .as_str()
            .unwrap()
            .trim_start_matches("#/components/schemas/"),
    );
    assert_eq!(required(site), ["slug", "title"]);
    let job = request_schema(&doc, "post", "/api/jobs");
    assert_eq!(required(job), ["description", "title"]);
    // Optional everywhere: selfRegister makes a username when none is given.
    let reg = request_schema(&doc, "post", "/api/claw/agents/selfRegister");
    assert!(required(reg).is_empty());
    assert!(reg["properties"]["username"].is_object());
}

#[actix_rt::test]
async fn error_statuses_are_declared_with_the_wire_error_shape() {
    let doc = document().await;
    let op = operation(&doc, "post", "/api/claw/sessions/send");
    for status in ["400", "401", "403", "404", "409", "413", "429", "503"] {
        assert_eq!(
            op["responses"][status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ClawError",
            "{status}"
        );
    }
    let op = operation(&doc, "post", "/api/register/verify");
    for status in ["201", "400", "401", "404", "409", "410"] {
        assert!(op["responses"][status].is_object(), "{status}");
    }
    assert_eq!(
        op["responses"]["410"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/McError"
    );
    let metrics = operation(&doc, "get", "/metrics");
    assert!(metrics["responses"]["200"]["content"]["text/plain; version=0.0.4"].is_object());
}
