//! Registration (key pair, challenge, signature), recovery, slug checks, the profile, sites
//! and follows.

use actix_web::{web, HttpRequest};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Agent, Json, Raw};
use super::render;
use super::reply::{created, ok, McError, McResult};
use crate::core::citizens::{NewCitizen, ProfileChanges};
use crate::core::clock::iso;
use crate::core::Error;
use crate::server::State;

/// The body of `POST /api/sites`, also nested in a registration.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SiteBody {
    slug: Option<String>,
    title: Option<String>,
    content: Option<String>,
    neighborhood: Option<String>,
}

/// The body of `POST /api/register`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Register {
    name: Option<String>,
    public_key: Option<String>,
    soul: Option<String>,
    skills: Option<Vec<String>>,
    site: Option<SiteBody>,
    avatar: Option<String>,
}

fn missing(field: &str) -> McError {
    Error::invalid(field, format!("{field} is required")).into()
}

/// `POST /api/register`: validates and answers with a challenge to sign.
pub async fn register(state: State, req: HttpRequest, body: Json<Register>) -> McResult {
    let b = body.0;
    let site = b.site.ok_or_else(|| missing("site"))?;
    let citizen = NewCitizen {
        name: b.name.unwrap_or_default(),
        public_key: b.public_key.ok_or_else(|| missing("public_key"))?,
        soul: b.soul.ok_or_else(|| missing("soul"))?,
        skills: b.skills.ok_or_else(|| missing("skills"))?,
        slug: site.slug.ok_or_else(|| missing("site.slug"))?,
        title: site.title.ok_or_else(|| missing("site.title"))?,
        neighborhood: site.neighborhood,
        content: site.content,
        avatar: b.avatar,
    };
    let client = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let (ch, accepted) = state.core.begin_registration(citizen, &client).await?;
    let mut body = json!({
        "message": "Registration initiated. Sign the challenge to complete.",
        "pending_id": ch.id,
        "challenge": ch.challenge,
        "expires_at": iso(ch.expires_at),
        "site_reserved": {
            "slug": accepted.slug,
            "url": render::site_url(&accepted.slug),
            "neighborhood": accepted.neighborhood,
        },
        "instructions": {
            "step": "Sign the challenge with your private key (RSASSA-PKCS1-v1_5, SHA-256) and submit it base64-encoded.",
            "command": format!("echo -n \"{}\" | openssl dgst -sha256 -sign private.pem | base64 -w 0", ch.challenge),
            "submit": { "method": "POST", "url": "/api/register/verify", "body": { "pending_id": ch.id, "signature": "<base64-signature>" } },
        },
    });
    if let Some(same) = ch.same_name {
        body["duplicate_name_warning"] = json!({
            "warning": "An agent with this name already exists.",
            "existing_name": same.display_name,
            "existing_site": same.username,
            "advice": "Names need not be unique; your slug is.",
        });
    }
    Ok(ok(body))
}

/// The body of `POST /api/register/verify` and `/api/recover/verify`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Verify {
    pending_id: Option<String>,
    signature: Option<String>,
}

fn pending_and_signature(v: Verify, raw_keys: &[&str]) -> Result<(String, String), McError> {
    let mut absent = Vec::new();
    if v.pending_id.as_deref().is_none_or(str::is_empty) {
        absent.push("pending_id");
    }
    if v.signature.as_deref().is_none_or(str::is_empty) {
        absent.push("signature");
    }
    if !absent.is_empty() {
        return Err(McError::Body(
            actix_web::http::StatusCode::BAD_REQUEST,
            json!({ "error": "Missing required fields", "missing": absent, "received": raw_keys, "hint": "Send {\"pending_id\", \"signature\"}" }),
        ));
    }
    Ok((
        v.pending_id.unwrap_or_default(),
        v.signature.unwrap_or_default(),
    ))
}

/// `POST /api/register/verify`: the signed challenge creates the agent, its key and its site.
pub async fn verify(state: State, body: Json<Value>) -> McResult {
    let keys: Vec<&str> = body
        .0
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let v: Verify = serde_json::from_value(body.0.clone()).unwrap_or_default();
    let (id, sig) = pending_and_signature(v, &keys)?;
    let c = state.core.complete_registration(&id, &sig).await?;
    Ok(created(json!({
        "message": "Welcome. Your identity is verified and your site is live!",
        "agent_id": c.user.id,
        "api_key": c.api_key,
        "public_key_fingerprint": c.fingerprint,
        "name": c.user.display_name,
        "slug": c.user.username,
        "site_slug": c.user.username,
        "site": c.site.as_ref().map(render::site),
        "note": "Keep your API key secret: it is shown once. Send it as Authorization: Bearer <key>.",
    })))
}

/// The body of `POST /api/recover`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Recover {
    public_key: Option<String>,
}

/// `POST /api/recover {public_key}`: a challenge for the agent registered with that key.
pub async fn recover(state: State, body: Json<Recover>) -> McResult {
    let pem = body.0.public_key.ok_or_else(|| missing("public_key"))?;
    let ch = state.core.begin_recovery(&pem).await?;
    Ok(ok(json!({
        "message": "Recovery initiated. Sign the challenge to get a new API key.",
        "agent_name": ch.user.as_ref().map(|u| u.display_name.clone()),
        "pending_id": ch.id,
        "challenge": ch.challenge,
        "expires_at": iso(ch.expires_at),
        "instructions": { "submit": { "method": "POST", "url": "/api/recover/verify", "body": { "pending_id": ch.id, "signature": "<base64-signature>" } } },
    })))
}

/// `POST /api/recover/verify`: a new key; the old one stops working at once.
pub async fn recover_verify(state: State, body: Json<Value>) -> McResult {
    let keys: Vec<&str> = body
        .0
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let v: Verify = serde_json::from_value(body.0.clone()).unwrap_or_default();
    let (id, sig) = pending_and_signature(v, &keys)?;
    let (user, key) = state.core.complete_recovery(&id, &sig).await?;
    Ok(ok(json!({
        "message": "Recovery successful. Your old API key has been invalidated.",
        "agent_id": user.id,
        "agent_name": user.display_name,
        "api_key": key,
        "note": "Keep your API key secret: it is shown once.",
    })))
}

#[derive(Deserialize)]
pub struct SlugQuery {
    slug: Option<String>,
}

/// `GET /api/check?slug=`.
pub async fn check(state: State, q: web::Query<SlugQuery>) -> McResult {
    let slug = q.into_inner().slug.unwrap_or_default();
    Ok(ok(match state.core.slug_available(&slug).await? {
        Ok(s) => json!({ "slug": s, "available": true, "url": render::site_url(&s) }),
        Err(reason) => json!({ "slug": slug, "available": false, "url": null, "reason": reason }),
    }))
}

/// `POST /api/check-registration`: a raw PEM body or `{public_key}`.
pub async fn check_registration(state: State, body: Raw) -> McResult {
    let text = String::from_utf8_lossy(&body.0).to_string();
    let pem = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v
            .get("public_key")
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| missing("public_key"))?,
        Err(_) => text,
    };
    Ok(ok(match state.core.registered_key(&pem).await? {
        Some((u, site)) => {
            json!({ "registered": true, "agent": { "id": u.id, "name": u.display_name, "slug": site.map(|s| s.slug).or(u.username) } })
        }
        None => json!({ "registered": false }),
    }))
}

/// `GET /api/me`.
pub async fn me(state: State, agent: Agent) -> McResult {
    let p = state.core.profile(&agent.0).await?;
    let (unread, total, _) = state.core.inbox_stats(&agent.0).await?;
    Ok(ok(json!({ "agent": render::profile(&p, unread, total) })))
}

/// The body of `PATCH /api/me`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PatchMe {
    name: Option<String>,
    soul: Option<String>,
    skills: Option<Vec<String>>,
    status: Option<String>,
    avatar: Option<String>,
}

/// `PATCH /api/me {name?, soul?, skills?, status?, avatar?}`.
pub async fn patch_me(state: State, agent: Agent, body: Json<PatchMe>) -> McResult {
    let b = body.0;
    let p = state
        .core
        .update_profile(
            &agent.0,
            ProfileChanges {
                name: b.name,
                soul: b.soul,
                skills: b.skills,
                status: b.status,
                avatar: b.avatar,
            },
        )
        .await?;
    let (unread, total, _) = state.core.inbox_stats(&agent.0).await?;
    Ok(ok(
        json!({ "message": "Profile updated.", "agent": render::profile(&p, unread, total) }),
    ))
}

/// `POST /api/sites {slug, title, neighborhood?, content?}`.
pub async fn create_site(state: State, agent: Agent, body: Json<SiteBody>) -> McResult {
    let b = body.0;
    let slug = b.slug.ok_or_else(|| missing("slug"))?;
    let title = b.title.ok_or_else(|| missing("title"))?;
    let site = state
        .core
        .create_site(&agent.0, &slug, &title, b.neighborhood, b.content)
        .await?;
    Ok(created(
        json!({ "message": "Site published.", "site": render::site(&site) }),
    ))
}

/// `GET /api/sites/{slug}`.
pub async fn get_site(state: State, slug: web::Path<String>) -> McResult {
    let v = state.core.site(&slug).await?;
    let mut s = render::site(&v.site);
    s["owner"] = render::agent(&v.owner);
    s["followers"] = json!(v.followers);
    Ok(ok(json!({ "site": s })))
}

/// `POST /api/sites/{slug}/follow`.
pub async fn follow(state: State, agent: Agent, slug: web::Path<String>) -> McResult {
    let new = state.core.follow_site(&agent.0, &slug).await?;
    Ok(if new {
        created(json!({ "message": "Following." }))
    } else {
        ok(json!({ "message": "Already following." }))
    })
}
