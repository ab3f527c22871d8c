//! The city's directory: its neighborhoods, and finding sites (browse, random, the directory by
//! neighborhood and skill, full-text search). Only public sites are found.

use super::citizens::{Site, NEIGHBORHOODS};
use super::model::User;
use super::{ids, Core, Error, Result};
use crate::store::queries::site_search;
use crate::store::queries::sites::{self, Filter, Listed, Order};

/// Sites a browse shows when the caller names no limit.
pub const DEFAULT_BROWSE: i64 = 20;
/// The most sites one browse shows.
pub const MAX_BROWSE: i64 = 100;
/// The most sites one search answers.
pub const SEARCH_RESULTS: i64 = 30;
/// The most sites the directory shows (the newest); its total counts them all.
pub const DIRECTORY_CAP: i64 = 500;
/// The longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words of a query that are searched for.
const MAX_TERMS: usize = 8;

/// A site as discovery shows it: with its owner's name, soul and skills.
#[derive(Debug, Clone)]
pub struct ListedSite {
    pub site: Site,
    pub owner: User,
    pub soul: Option<String>,
    pub skills: Vec<String>,
}

impl From<Listed> for ListedSite {
    fn from((site, owner, profile): Listed) -> Self {
        ListedSite {
            site: Site::from(site),
            owner: User::from(owner),
            soul: profile.soul,
            skills: profile
                .skills
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
        }
    }
}

/// The directory: how many public sites match, and the newest of them.
#[derive(Debug, Clone)]
pub struct Directory {
    pub total: i64,
    pub sites: Vec<ListedSite>,
}

/// A neighborhood filter: empty means none; an unknown one is refused, naming the city's.
pub(crate) fn check_neighborhood(hood: Option<&str>) -> Result<Option<String>> {
    let Some(hood) = hood.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let hood = hood.to_lowercase();
    if !NEIGHBORHOODS.contains(&hood.as_str()) {
        return Err(Error::invalid(
            "neighborhood",
            format!("neighborhood must be one of {}", NEIGHBORHOODS.join(", ")),
        ));
    }
    Ok(Some(hood))
}

/// A skill filter as a lower-case `LIKE` pattern (its wildcards escaped): a site matches when
/// one of its owner's skills contains it.
pub(crate) fn skill_pattern(skill: Option<&str>) -> Result<Option<String>> {
    let Some(skill) = skill.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if skill.chars().count() > 30 {
        return Err(Error::invalid(
            "skill",
            "skill must be at most 30 characters",
        ));
    }
    let mut pattern = String::from("%");
    for c in skill.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
}

/// The words of a search query, lower-case, letters and digits only; refuses a query that is
/// missing, blank or too long.
fn search_terms(q: Option<&str>) -> Result<Vec<String>> {
    let q = q.map(str::trim).unwrap_or_default();
    if q.is_empty() {
        return Err(Error::invalid("q", "q parameter required"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::invalid(
            "q",
            format!("q must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(q.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .take(MAX_TERMS)
        .collect())
}

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

    /// Public sites, of one neighborhood or all, the newest or the most read first. `limit`
    /// defaults to [`DEFAULT_BROWSE`] and is capped at [`MAX_BROWSE`]; `offset` skips that many
    /// (paging).
    pub async fn browse_sites(
        &self,
        neighborhood: Option<&str>,
        popular: bool,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> Result<Vec<ListedSite>> {
        let offset = match offset {
            Some(n) if n < 0 => {
                return Err(Error::invalid("offset", "offset must not be negative"))
            }
            n => n.unwrap_or(0),
        };
        let limit = page_limit(limit, DEFAULT_BROWSE, MAX_BROWSE)?;
        let filter = Filter {
            neighborhood: check_neighborhood(neighborhood)?,
            skill_pattern: None,
        };
        let order = if popular {
            Order::Popular
        } else {
            Order::Recent
        };
        self.read(move |conn| {
            Ok(sites::listed(conn, &filter, order, limit, offset)?
                .into_iter()
                .map(ListedSite::from)
                .collect())
        })
        .await
    }

    /// One public site picked at random; `None` when there is none.
    pub async fn random_site(&self) -> Result<Option<ListedSite>> {
        let pick = u64::from_le_bytes(ids::random_bytes::<8>());
        self.read(move |conn| {
            let n = sites::count_listed(conn, &Filter::default())?;
            if n == 0 {
                return Ok(None);
            }
            let offset = (pick % n as u64) as i64;
            Ok(sites::listed_at(conn, offset)?.map(ListedSite::from))
        })
        .await
    }

    /// The directory of public sites, of a neighborhood and/or a skill, the newest first: at
    /// most [`DIRECTORY_CAP`] of them, with the count of all.
    pub async fn site_directory(
        &self,
        neighborhood: Option<&str>,
        skill: Option<&str>,
    ) -> Result<Directory> {
        let filter = Filter {
            neighborhood: check_neighborhood(neighborhood)?,
            skill_pattern: skill_pattern(skill)?,
        };
        self.read(move |conn| {
            let total = sites::count_listed(conn, &filter)?;
            let sites = sites::listed(conn, &filter, Order::Recent, DIRECTORY_CAP, 0)?
                .into_iter()
                .map(ListedSite::from)
                .collect();
            Ok(Directory { total, sites })
        })
        .await
    }

    /// Public sites whose title, text, owner name or owner soul hold every word of `q` (as a
    /// word prefix), the best match first: at most [`SEARCH_RESULTS`].
    pub async fn search_sites(&self, q: Option<&str>) -> Result<Vec<ListedSite>> {
        let terms = search_terms(q)?;
        if terms.is_empty() {
            return Ok(vec![]);
        }
        self.read(move |conn| {
            let slugs = site_search::matching(conn, &terms, SEARCH_RESULTS)?;
            let mut found = sites::listed_among(conn, &slugs)?;
            found.sort_by_key(|(s, _, _)| slugs.iter().position(|x| *x == s.slug));
            Ok(found.into_iter().map(ListedSite::from).collect())
        })
        .await
    }
}

/// A page size: `default` when absent, at most `cap`, and 400 below 1.
pub(crate) fn page_limit(limit: Option<i64>, default: i64, cap: i64) -> Result<i64> {
    match limit {
        None => Ok(default),
        Some(n) if n < 1 => Err(Error::invalid("limit", "limit must be at least 1")),
        Some(n) => Ok(n.min(cap)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_plain_words() {
        assert_eq!(
            search_terms(Some(" Rust\"* OR  -lab_2 ")).unwrap(),
            vec!["rust", "or", "lab", "2"]
        );
        assert!(search_terms(Some("\"*:")).unwrap().is_empty());
        assert_eq!(
            search_terms(Some("  ")).unwrap_err().message(),
            "q parameter required"
        );
        assert!(search_terms(Some(&"a".repeat(201))).is_err());
    }

    #[test]
    fn a_skill_filter_escapes_like_wildcards() {
        assert_eq!(
            skill_pattern(Some("C_%")).unwrap().as_deref(),
            Some("%c\\_\\%%")
        );
        assert_eq!(skill_pattern(Some(" ")).unwrap(), None);
    }
}
