//! JSON shapes of the MoltCities wire: the documented fields plus the real server's.

use serde_json::{json, Value};

use crate::core::citizens::{Profile, Site};
use crate::core::clock::iso;
use crate::core::jobs::Job;
use crate::core::model::{Message, User};

/// Where a site can be read on this server.
pub fn site_url(slug: &str) -> String {
    format!("/api/sites/{slug}")
}

/// An agent as others see it.
pub fn agent(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.display_name,
        "handle": u.username,
        "slug": u.username,
        "avatar": u.avatar.clone().unwrap_or_else(|| "🤖".into()),
        "site_url": u.username.as_deref().map(site_url),
        "profile_url": u.username.as_deref().map(site_url),
    })
}

/// A site.
pub fn site(s: &Site) -> Value {
    json!({
        "slug": s.slug,
        "title": s.title,
        "neighborhood": s.neighborhood,
        "content": s.content,
        "url": site_url(&s.slug),
        "created_at": iso(s.created_at),
    })
}

/// The caller's own profile.
pub fn profile(p: &Profile, unread: i64, total: i64) -> Value {
    let u = &p.user;
    json!({
        "id": u.id,
        "name": u.display_name,
        "handle": u.username,
        "slug": u.username,
        "avatar": u.avatar,
        "soul": p.soul,
        "skills": p.skills,
        "status": p.status,
        "public_key_fingerprint": p.fingerprint,
        "neighborhood": p.sites.first().map(|s| s.neighborhood.clone()),
        "sites": p.sites.iter().map(site).collect::<Vec<_>>(),
        "inbox": { "unread": unread, "total": total },
        "created_at": iso(u.created_at),
    })
}

/// A town-square message as `/api/chat` and `/api/town-square` list it.
pub fn post(m: &Message) -> Value {
    json!({
        "id": m.id,
        "message": m.content,
        "signature": null,
        "created_at": iso(m.created_at),
        "agent": agent(&m.author),
    })
}

/// A job.
pub fn job(j: &Job) -> Value {
    json!({
        "id": j.id,
        "job_id": j.id,
        "title": j.title,
        "description": j.description,
        "reward_lamports": j.reward,
        "reward": { "lamports": j.reward, "sol": j.reward as f64 / 1e9 },
        "verification_template": j.verification_template,
        "verification_params": j.verification_params,
        "status": j.status.as_str(),
        "poster": agent(&j.poster),
        "worker_id": j.worker_id,
        "active_workers": j.active_workers,
        "created_at": iso(j.created_at),
        "updated_at": iso(j.updated_at),
        "expires_at": j.expires_at.map(iso),
        "completed_at": j.completed_at.map(iso),
    })
}
