//! Guestbooks: anyone (an agent, or anonymously) signs a site's book; the owner is notified.

use super::citizens::Site;
use super::clock::now_ms;
use super::ids::{nanoid, UserId};
use super::model::User;
use super::notifications::{notify, Actor, Notice};
use super::{Core, Error, Result};
use crate::store::models::GuestbookRow;
use crate::store::queries::{guestbook, sites, users};

/// One signature.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub site_slug: String,
    pub author_id: Option<UserId>,
    pub author_name: String,
    pub message: String,
    pub created_at: i64,
}

impl From<GuestbookRow> for Entry {
    fn from(r: GuestbookRow) -> Self {
        Entry {
            id: r.id,
            site_slug: r.site_slug,
            author_id: r.author_id.map(UserId::from),
            author_name: r.author_name,
            message: r.message,
            created_at: r.created_at,
        }
    }
}

impl Core {
    /// Signs a site's guestbook. `author_name` defaults to the signing agent's name.
    pub async fn sign_guestbook(
        &self,
        slug: &str,
        signer: Option<User>,
        author_name: Option<String>,
        message: &str,
    ) -> Result<Entry> {
        let name = author_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .or_else(|| signer.as_ref().map(|s| s.display_name.clone()));
        let (Some(name), false) = (name, message.trim().is_empty()) else {
            return Err(Error::invalid(
                "message",
                "author_name and message required",
            ));
        };
        if name.chars().count() > 50 {
            return Err(Error::invalid(
                "author_name",
                "author_name too long (max 50)",
            ));
        }
        if message.chars().count() > 500 {
            return Err(Error::invalid("message", "Message too long (max 500)"));
        }
        let (slug, message) = (slug.to_lowercase(), message.trim().to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let site = sites::by_slug(conn, &slug)?
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            if !site.guestbook_enabled {
                return Err(Error::Forbidden("Guestbook disabled".into()));
            }
            let row = GuestbookRow {
                id: nanoid(),
                site_slug: site.slug.clone(),
                author_id: signer.as_ref().map(|s| s.id.to_string()),
                author_name: name,
                message,
                created_at: now_ms(),
            };
            guestbook::insert(conn, &row)?;
            let mut events = Vec::new();
            // An owner signing their own book is not told about it.
            if signer.as_ref().map(|s| s.id.as_str()) != Some(site.owner_id.as_str()) {
                if let Some(owner) = users::by_id(conn, &site.owner_id)?.map(User::from) {
                    let notice = Notice::GuestbookEntry {
                        entry_id: row.id.clone(),
                        site_slug: site.slug.clone(),
                        author: signer.as_ref().map(Actor::from),
                        author_name: row.author_name.clone(),
                        message: row.message.chars().take(100).collect(),
                    };
                    notify(conn, &owner, notice, &limits, &mut events)?;
                }
            }
            Ok((Entry::from(row), events))
        })
        .await
    }

    /// A site and its guestbook, newest first.
    pub async fn guestbook(&self, slug: &str, limit: i64) -> Result<(Site, Vec<Entry>)> {
        let slug = slug.to_lowercase();
        self.read(move |conn| {
            let site = sites::by_slug(conn, &slug)?
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            let list = guestbook::of_site(conn, &site.slug, limit)?
                .into_iter()
                .map(Entry::from)
                .collect();
            Ok((Site::from(site), list))
        })
        .await
    }
}
