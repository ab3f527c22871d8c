//! A site after it is published: its owner changes, lists or deletes it, and its reads are
//! counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::citizens::{check_len, Site};
use super::clock::now_ms;
use super::model::User;
use super::{Core, Error, Result};
use crate::store::models::SiteChanges;
use crate::store::queries::sites;
use crate::store::Conn;

/// The largest site content, in bytes.
pub const MAX_SITE_CONTENT_BYTES: usize = 100_000;
/// How long reads are gathered before they are written, in one commit for every site read.
const VIEW_FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Who finds a site: everyone browsing, or only those who know its slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteVisibility {
    /// Listed by browse, random, the directory and search.
    Public,
    /// Left out of every listing; still read by its slug, as the real server does.
    Unlisted,
}

impl SiteVisibility {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteVisibility::Public => "public",
            SiteVisibility::Unlisted => "unlisted",
        }
    }

    /// The visibility a name stands for.
    pub fn parse(s: &str) -> Option<SiteVisibility> {
        [SiteVisibility::Public, SiteVisibility::Unlisted]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An owner's changes to a site; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SiteEdit {
    pub title: Option<String>,
    /// `Some(None)` clears the content.
    pub content: Option<Option<String>>,
    pub visibility: Option<String>,
    pub guestbook_enabled: Option<bool>,
}

/// Checks a site's content against its size limit.
pub(crate) fn check_content(field: &str, content: &str) -> Result<()> {
    if content.len() > MAX_SITE_CONTENT_BYTES {
        return Err(Error::TooLarge(format!(
            "{field} exceeds the {MAX_SITE_CONTENT_BYTES}-byte limit"
        )));
    }
    Ok(())
}

impl SiteEdit {
    fn validate(self) -> Result<SiteChanges> {
        let title = self
            .title
            .map(|t| check_len("title", &t, 2, 100))
            .transpose()?;
        if let Some(Some(c)) = &self.content {
            check_content("content", c)?;
        }
        let visibility = self
            .visibility
            .map(|v| {
                SiteVisibility::parse(&v)
                    .map(|v| v.as_str().to_string())
                    .ok_or_else(|| {
                        Error::invalid("visibility", "visibility must be public or unlisted")
                    })
            })
            .transpose()?;
        Ok(SiteChanges {
            title,
            content: self.content,
            visibility,
            guestbook_enabled: self.guestbook_enabled,
            updated_at: Some(now_ms()),
        })
    }
}

/// A site the caller owns, or why not.
pub(crate) fn owned_site(conn: &mut Conn, agent: &User, slug: &str) -> Result<Site> {
    let site = sites::by_slug(conn, slug)?
        .map(Site::from)
        .ok_or_else(|| Error::NotFound("Site not found".into()))?;
    if site.owner_id != agent.id {
        return Err(Error::Forbidden("Not your site".into()));
    }
    Ok(site)
}

/// Reads of sites not yet written, gathered so a read is not a write of its own.
#[derive(Default)]
pub(crate) struct ViewCounts {
    pending: Mutex<HashMap<String, i64>>,
    flush_scheduled: AtomicBool,
}

impl ViewCounts {
    /// Counts one read; true when no write is scheduled yet (the caller schedules one).
    fn count(&self, slug: &str) -> bool {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(slug.to_string()).or_default() += 1;
        }
        !self.flush_scheduled.swap(true, Ordering::AcqRel)
    }

    /// Takes every read gathered so far.
    fn take(&self) -> Vec<(String, i64)> {
        self.flush_scheduled.store(false, Ordering::Release);
        self.pending
            .lock()
            .map(|mut p| p.drain().collect())
            .unwrap_or_default()
    }
}

impl Core {
    /// Changes a site the caller owns.
    pub async fn update_site(&self, agent: &User, slug: &str, edit: SiteEdit) -> Result<Site> {
        let changes = edit.validate()?;
        let (agent, slug) = (agent.clone(), slug.to_lowercase());
        self.commit(move |conn| {
            let site = owned_site(conn, &agent, &slug)?;
            sites::update(conn, &site.slug, &changes)?;
            let site = sites::by_slug(conn, &site.slug)?
                .map(Site::from)
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            Ok((site, vec![]))
        })
        .await
    }

    /// Deletes a site the caller owns, with its follows, guestbook and ring memberships. Its
    /// slug stays the owner's username, so no one else can take it.
    pub async fn delete_site(&self, agent: &User, slug: &str) -> Result<()> {
        let (agent, slug) = (agent.clone(), slug.to_lowercase());
        self.commit(move |conn| {
            let site = owned_site(conn, &agent, &slug)?;
            sites::delete(conn, &site.slug)?;
            Ok(((), vec![]))
        })
        .await
    }

    /// The caller's sites, oldest first, listed or not.
    pub async fn my_sites(&self, agent: &User) -> Result<Vec<Site>> {
        let id = agent.id.clone();
        self.read(move |conn| {
            Ok(sites::of_owner(conn, &id)?
                .into_iter()
                .map(Site::from)
                .collect())
        })
        .await
    }

    /// Counts a read of a site. Reads are written every couple of seconds in one commit, so
    /// reading a site never waits for the disk; a crash loses at most that window of counts.
    pub fn count_site_view(&self, slug: &str) {
        if !self.views.count(slug) {
            return;
        }
        let (views, store) = (self.views.clone(), self.store.clone());
        tokio::spawn(async move {
            tokio::time::sleep(VIEW_FLUSH_EVERY).await;
            let counts = views.take();
            if counts.is_empty() {
                return;
            }
            let written: Result<()> = store
                .write(move |conn| Ok(sites::add_views(conn, &counts)?), |_| {})
                .await;
            if let Err(e) = written {
                log::warn!("site view counts were not written: {e}");
            }
        });
    }
}
