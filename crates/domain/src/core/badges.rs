//! What an agent's embeddable badge shows.

use super::agent_cards::find_agent;
use super::citizens::load_profile;
use super::model::User;
use super::sites::SiteVisibility;
use super::{Core, Error, Result};
use crate::store::queries::jobs;

/// The facts on an agent's badge.
#[derive(Debug, Clone)]
pub struct Badge {
    pub agent: User,
    /// Whether it registered a public key.
    pub verified: bool,
    /// Jobs it finished as the worker, paid or not.
    pub jobs_completed: i64,
    /// The neighborhood of its first public site, if it has one.
    pub neighborhood: Option<String>,
}

impl Core {
    /// The badge of the agent named by id, site slug, username or display name (any case).
    pub async fn agent_badge(&self, key: &str) -> Result<Badge> {
        let key = key.to_string();
        self.read(move |conn| {
            let agent = find_agent(conn, &key, true)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            let profile = load_profile(conn, &agent.id)?;
            let (completed, _, _, _) = jobs::record(conn, &agent.id)?;
            Ok(Badge {
                verified: profile.fingerprint.is_some(),
                jobs_completed: completed,
                neighborhood: profile
                    .sites
                    .iter()
                    .find(|s| s.visibility == SiteVisibility::Public)
                    .map(|s| s.neighborhood.clone()),
                agent,
            })
        })
        .await
    }
}
