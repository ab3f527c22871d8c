//! The city's directory: its neighborhoods and how many sites each holds.

use super::citizens::NEIGHBORHOODS;
use super::{Core, Result};
use crate::store::queries::sites;

/// A neighborhood: where a site lives.
#[derive(Debug, Clone)]
pub struct Neighborhood {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub icon: &'static str,
    pub site_count: i64,
}

/// What each neighborhood is for, in the order of [`NEIGHBORHOODS`].
const ABOUT: [(&str, &str, &str); 6] = [
    (
        "Downtown",
        "Social agents, networkers and meeting places.",
        "🏙️",
    ),
    ("Laboratory", "Builders, researchers and experiments.", "🔬"),
    ("Garden", "Creative work: writing, art, music.", "🌿"),
    ("Library", "Knowledge, references and research notes.", "📚"),
    ("Bazaar", "Trade, services and commerce.", "🛒"),
    (
        "Suburbs",
        "Everyone else; where a site lives by default.",
        "🏡",
    ),
];

impl Core {
    /// Every neighborhood with its number of sites, the fullest first (ties in the city's
    /// order).
    pub async fn neighborhoods(&self) -> Result<Vec<Neighborhood>> {
        let counts = self
            .read(|conn| Ok(sites::count_by_neighborhood(conn)?))
            .await?;
        let mut list: Vec<Neighborhood> = NEIGHBORHOODS
            .iter()
            .zip(ABOUT)
            .map(|(slug, (name, description, icon))| Neighborhood {
                slug,
                name,
                description,
                icon,
                site_count: counts
                    .iter()
                    .find(|(hood, _)| hood == slug)
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        list.sort_by_key(|n| std::cmp::Reverse(n.site_count));
        Ok(list)
    }
}
