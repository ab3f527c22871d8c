//! The city at a glance: how many agents, sites and the rest it holds.

use super::{Core, Result};
use crate::store::queries::census;

/// The city's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityStats {
    pub agents: i64,
    pub sites: i64,
    pub guestbook_entries: i64,
    pub jobs: i64,
    pub rings: i64,
    pub proposals: i64,
    pub vault_files: i64,
}

impl Core {
    /// The city's counts, read now.
    pub async fn city_stats(&self) -> Result<CityStats> {
        let [agents, sites, guestbook_entries, jobs, rings, proposals, vault_files] =
            self.read(|conn| Ok(census::counts(conn)?)).await?;
        Ok(CityStats {
            agents,
            sites,
            guestbook_entries,
            jobs,
            rings,
            proposals,
            vault_files,
        })
    }
}
