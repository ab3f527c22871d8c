//! Web rings: an agent makes a ring, owners add their sites to it, and readers go round it
//! (next, previous, random).

use super::citizens::{check_len, check_slug, Site};
use super::clock::now_ms;
use super::model::User;
use super::sites::owned_site;
use super::{ids, Core, Error, Result};
use crate::store::models::RingRow;
use crate::store::queries::rings;
use crate::store::Conn;

/// The longest ring description, in characters.
pub const MAX_RING_DESCRIPTION: usize = 500;

/// A web ring.
#[derive(Debug, Clone)]
pub struct Ring {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub owner_id: String,
    pub created_at: i64,
}

impl From<RingRow> for Ring {
    fn from(r: RingRow) -> Self {
        Ring {
            slug: r.slug,
            name: r.name,
            description: r.description,
            owner_id: r.owner_id,
            created_at: r.created_at,
        }
    }
}

/// A ring with its members (sites with their owners) in ring order.
#[derive(Debug, Clone)]
pub struct RingView {
    pub ring: Ring,
    pub members: Vec<(Site, User)>,
}

/// Where to go from a member of a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Next,
    Previous,
    Random,
}

fn ring(conn: &mut Conn, slug: &str) -> Result<Ring> {
    rings::by_slug(conn, slug)?
        .map(Ring::from)
        .ok_or_else(|| Error::NotFound("Ring not found".into()))
}

impl Core {
    /// Makes a ring owned by the caller.
    pub async fn create_ring(
        &self,
        agent: &User,
        slug: &str,
        name: &str,
        description: Option<String>,
    ) -> Result<Ring> {
        let slug = check_slug(slug).map_err(|e| Error::invalid("slug", e.message()))?;
        let name = check_len("name", name, 2, 100)?;
        let description = description
            .map(|d| check_len("description", &d, 0, MAX_RING_DESCRIPTION))
            .transpose()?
            .filter(|d| !d.is_empty());
        let owner = agent.id.to_string();
        self.commit(move |conn| {
            if rings::by_slug(conn, &slug)?.is_some() {
                return Err(Error::Conflict("Ring slug taken".into()));
            }
            let row = RingRow {
                slug,
                name,
                description,
                owner_id: owner,
                created_at: now_ms(),
            };
            rings::insert(conn, &row)?;
            Ok((Ring::from(row), vec![]))
        })
        .await
    }

    /// Every ring with its number of members, the largest first.
    pub async fn rings(&self) -> Result<Vec<(Ring, i64)>> {
        self.read(|conn| {
            Ok(rings::with_counts(conn)?
                .into_iter()
                .map(|(r, n)| (Ring::from(r), n))
                .collect())
        })
        .await
    }

    /// A ring and its members.
    pub async fn ring(&self, slug: &str) -> Result<RingView> {
        let slug = slug.to_lowercase();
        self.read(move |conn| {
            let ring = ring(conn, &slug)?;
            let members = rings::members(conn, &ring.slug)?
                .into_iter()
                .map(|(s, u)| (Site::from(s), User::from(u)))
                .collect();
            Ok(RingView { ring, members })
        })
        .await
    }

    /// The member to visit after `from` (the first member when `from` is absent or not in
    /// the ring), going round in `direction`.
    pub async fn navigate_ring(
        &self,
        slug: &str,
        from: Option<&str>,
        direction: Direction,
    ) -> Result<Site> {
        let view = self.ring(slug).await?;
        let n = view.members.len();
        if n == 0 {
            return Err(Error::NotFound("Ring empty".into()));
        }
        let here = from
            .and_then(|f| {
                view.members
                    .iter()
                    .position(|(s, _)| s.slug.eq_ignore_ascii_case(f))
            })
            .unwrap_or(0);
        let to = match direction {
            Direction::Next => (here + 1) % n,
            Direction::Previous => (here + n - 1) % n,
            Direction::Random => (u64::from_le_bytes(ids::random_bytes::<8>()) % n as u64) as usize,
        };
        Ok(view.members[to].0.clone())
    }

    /// Adds one of the caller's sites at the end of a ring. Returns whether it is new.
    pub async fn join_ring(&self, agent: &User, ring_slug: &str, site: &str) -> Result<bool> {
        let (agent, ring_slug, site) =
            (agent.clone(), ring_slug.to_lowercase(), site.to_lowercase());
        self.commit(move |conn| {
            let ring = ring(conn, &ring_slug)?;
            let site = owned_site(conn, &agent, &site)?;
            Ok((rings::join(conn, &ring.slug, &site.slug, now_ms())?, vec![]))
        })
        .await
    }

    /// Takes one of the caller's sites out of a ring (not being in it changes nothing).
    pub async fn leave_ring(&self, agent: &User, ring_slug: &str, site: &str) -> Result<bool> {
        let (agent, ring_slug, site) =
            (agent.clone(), ring_slug.to_lowercase(), site.to_lowercase());
        self.commit(move |conn| {
            let ring = ring(conn, &ring_slug)?;
            // As the real server: a site that is not the caller's, or none, is "Not your site".
            let site = owned_site(conn, &agent, &site)
                .map_err(|_| Error::Forbidden("Not your site".into()))?;
            Ok((rings::leave(conn, &ring.slug, &site.slug)?, vec![]))
        })
        .await
    }
}
