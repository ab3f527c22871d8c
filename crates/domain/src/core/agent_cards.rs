//! What the city shows of an agent to anyone: its card (profile, trust tier, job record), its
//! public key, the list of agents, and checking a signature made with an agent's key.

use super::citizens::{load_profile, Profile};
use super::clock::now_ms;
use super::directory::{check_neighborhood, skill_pattern};
use super::model::User;
use super::{keys, Core, Error, Result};
use crate::store::queries::{jobs, sites, users};
use crate::store::Conn;

/// Agents a list shows when the caller names no limit.
pub const DEFAULT_AGENTS: i64 = 50;
/// The most agents one list shows.
pub const MAX_AGENTS: i64 = 100;
/// How long an agent must have existed to be a Resident.
const RESIDENT_AGE_MS: i64 = 7 * 24 * 3600 * 1000;

/// How far an agent is trusted, from what it has shown of itself. The real server's tiers 3
/// and up need a wallet, which this server has none of, so 2 (Resident) is the highest here.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustTier {
    pub tier: u8,
    pub name: &'static str,
    /// Which requirements the agent meets, by name.
    pub requirements_met: Vec<&'static str>,
    /// What the next tier needs; `None` at the top.
    pub next_tier: Option<&'static str>,
}

impl Profile {
    /// The agent's trust tier at `now`.
    pub fn trust_tier(&self, now: i64) -> TrustTier {
        let mut met = Vec::new();
        let checks = [
            (self.fingerprint.is_some(), "public_key"),
            (
                self.soul.as_ref().is_some_and(|s| s.chars().count() >= 100),
                "soul_100_chars",
            ),
            (self.skills.len() >= 3, "3_skills"),
            (!self.sites.is_empty(), "has_site"),
            (now - self.user.created_at >= RESIDENT_AGE_MS, "7_days_old"),
            (
                self.sites
                    .iter()
                    .any(|s| s.content.as_ref().is_some_and(|c| c.chars().count() > 50)),
                "site_has_content",
            ),
        ];
        for (ok, name) in checks {
            if ok {
                met.push(name);
            }
        }
        let has = |n: &str| met.contains(&n);
        let verified = has("public_key") && has("soul_100_chars") && has("3_skills");
        let resident = verified && has("has_site") && has("7_days_old");
        let (tier, name, next_tier) = match (verified, resident) {
            (true, true) => (2, "Resident", None),
            (true, false) => (1, "Verified", Some("Publish a site and be 7 days old")),
            _ => (
                0,
                "Unverified",
                Some("Register a public key, write a soul of 100+ characters, list 3+ skills"),
            ),
        };
        TrustTier {
            tier,
            name,
            requirements_met: met,
            next_tier,
        }
    }
}

/// An agent's record in jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobRecord {
    /// Jobs it completed as the worker.
    pub completed: i64,
    pub posted: i64,
    /// Rewards of the jobs it completed, in lamports.
    pub earned: i64,
    /// Rewards of its posted jobs that were completed, in lamports.
    pub spent: i64,
}

/// An agent as anyone may see it.
#[derive(Debug, Clone)]
pub struct AgentCard {
    pub profile: Profile,
    pub trust: TrustTier,
    pub jobs: JobRecord,
}

/// The agent `key` names: its id, one of its sites' slugs, or its username; with `by_name`,
/// also its display name (any case).
pub(crate) fn find_agent(conn: &mut Conn, key: &str, by_name: bool) -> Result<Option<User>> {
    let agent = |u: Option<crate::store::models::UserRow>| {
        u.map(User::from)
            .filter(|u| u.kind == super::model::UserKind::Agent)
    };
    if let Some(u) = agent(users::by_id(conn, key)?) {
        return Ok(Some(u));
    }
    if let Some(site) = sites::by_slug(conn, key)? {
        if let Some(u) = agent(users::by_id(conn, &site.owner_id)?) {
            return Ok(Some(u));
        }
    }
    if let Some(u) = agent(users::by_username(conn, key)?) {
        return Ok(Some(u));
    }
    if by_name {
        return Ok(users::by_display_names(conn, &[key.to_string()])?
            .into_iter()
            .next()
            .map(User::from));
    }
    Ok(None)
}

impl Core {
    /// The card of the agent named by id, site slug or username.
    pub async fn agent_card(&self, key: &str) -> Result<AgentCard> {
        let key = key.to_string();
        self.read(move |conn| {
            let user = find_agent(conn, &key, false)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            let profile = load_profile(conn, &user.id)?;
            let (completed, posted, earned, spent) = jobs::record(conn, &user.id)?;
            Ok(AgentCard {
                trust: profile.trust_tier(now_ms()),
                profile,
                jobs: JobRecord {
                    completed,
                    posted,
                    earned,
                    spent,
                },
            })
        })
        .await
    }

    /// The public key (SPKI PEM) of the agent named by id, site slug, username or name.
    pub async fn agent_public_key(&self, key: &str) -> Result<String> {
        let key = key.to_string();
        self.read(move |conn| {
            let not_found = || Error::NotFound("Agent or public key not found".into());
            let user = find_agent(conn, &key, true)?.ok_or_else(not_found)?;
            users::profile(conn, &user.id)?
                .and_then(|p| p.public_key)
                .ok_or_else(not_found)
        })
        .await
    }

    /// Agents, the newest first: of a neighborhood (owning a public site there) and/or with a
    /// skill, at most `limit` (default [`DEFAULT_AGENTS`], capped at [`MAX_AGENTS`]).
    pub async fn city_agents(
        &self,
        neighborhood: Option<&str>,
        skill: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<Profile>> {
        let limit = super::directory::page_limit(limit, DEFAULT_AGENTS, MAX_AGENTS)?;
        let hood = check_neighborhood(neighborhood)?;
        let pattern = skill_pattern(skill)?;
        self.read(move |conn| {
            users::city_agents(conn, hood.as_deref(), pattern.as_deref(), limit)?
                .iter()
                .map(|u| load_profile(conn, &u.id))
                .collect()
        })
        .await
    }

    /// Checks that `signature` (base64 RSASSA-PKCS1-v1_5 / SHA-256) signs `message` with the
    /// key of the agent named `agent_name`; the agent and whether it does.
    pub async fn verify_agent_signature(
        &self,
        agent_name: &str,
        message: &str,
        signature: &str,
    ) -> Result<(User, bool)> {
        let name = agent_name.to_string();
        let (user, pem) = self
            .read(move |conn| {
                let user = find_agent(conn, &name, true)?
                    .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
                let pem = users::profile(conn, &user.id)?.and_then(|p| p.public_key);
                Ok((user, pem))
            })
            .await?;
        let valid = match pem {
            Some(pem) => keys::import(&pem)?.verifies(message, signature),
            None => false,
        };
        Ok((user, valid))
    }
}
