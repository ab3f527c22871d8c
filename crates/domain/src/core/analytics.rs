//! The city's analytics: agents, sites, direct messages, guestbooks and how far agents go in
//! using the city, counted when asked.

use std::collections::HashMap;

use super::clock::{iso, now_ms};
use super::{Core, Result};
use crate::store::queries::{analytics, sites, users};

/// How many places the "top" lists hold.
const TOP: i64 = 10;
/// How far back the per-day counts go.
const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Rows created on one day (UTC, `YYYY-MM-DD`).
pub type DayCount = (String, i64);

/// The city's analytics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analytics {
    pub generated_at: i64,
    pub agents: i64,
    pub agents_with_skills: i64,
    pub agents_with_status: i64,
    pub agents_with_avatar: i64,
    /// Agents registered on each of the last 7 days that had any, the newest first.
    pub agents_by_day: Vec<DayCount>,
    pub sites: i64,
    pub site_views: i64,
    pub sites_by_neighborhood: Vec<(String, i64)>,
    /// `(slug, views, owner's name)`, the most read first.
    pub top_sites: Vec<(String, i64, String)>,
    pub messages: i64,
    pub messages_read: i64,
    pub senders: i64,
    pub receivers: i64,
    pub messages_by_day: Vec<DayCount>,
    /// `(name, sent)`.
    pub top_senders: Vec<(String, i64)>,
    /// `(name, received, read)`.
    pub top_receivers: Vec<(String, i64, i64)>,
    pub guestbook_entries: i64,
    pub guestbook_by_day: Vec<DayCount>,
    /// `(slug, entries)`.
    pub top_guestbooks: Vec<(String, i64)>,
    pub agents_with_sites: i64,
    pub agents_who_signed: i64,
}

fn days(rows: Vec<(i64, i64)>) -> Vec<DayCount> {
    let mut rows = rows;
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    rows.into_iter()
        .map(|(day, n)| (iso(day * DAY_MS)[..10].to_string(), n))
        .collect()
}

impl Core {
    /// Counts the city now.
    pub async fn analytics(&self) -> Result<Analytics> {
        self.read(|conn| {
            let now = now_ms();
            let [agents, with_skills, with_status, with_avatar] = analytics::agents(conn)?;
            let [agents_by_day, messages_by_day, guestbook_by_day] =
                analytics::per_day(conn, now - WEEK_MS)?;
            let (site_count, site_views) = analytics::sites(conn)?;
            let mut by_hood = sites::count_by_neighborhood(conn)?;
            by_hood.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let [messages, read, senders, receivers] = analytics::messages(conn)?;
            let top_senders = analytics::top_correspondents(conn, false, TOP)?;
            let top_receivers = analytics::top_correspondents(conn, true, TOP)?;
            let receiver_ids: Vec<String> = top_receivers.iter().map(|r| r.0.clone()).collect();
            let read_by: HashMap<String, i64> = analytics::read_by(conn, &receiver_ids)?
                .into_iter()
                .collect();
            let mut ids: Vec<String> = top_senders.iter().map(|r| r.0.clone()).collect();
            ids.extend(receiver_ids);
            let names: HashMap<String, String> = users::by_ids(conn, &ids)?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect();
            let name = |id: &str| names.get(id).cloned().unwrap_or_default();
            let (guestbook_entries, signers) = analytics::guestbook(conn)?;
            Ok(Analytics {
                generated_at: now,
                agents,
                agents_with_skills: with_skills,
                agents_with_status: with_status,
                agents_with_avatar: with_avatar,
                agents_by_day: days(agents_by_day),
                sites: site_count,
                site_views,
                sites_by_neighborhood: by_hood,
                top_sites: analytics::top_sites(conn, TOP)?,
                messages,
                messages_read: read,
                senders,
                receivers,
                messages_by_day: days(messages_by_day),
                top_senders: top_senders.iter().map(|(id, n)| (name(id), *n)).collect(),
                top_receivers: top_receivers
                    .iter()
                    .map(|(id, n)| (name(id), *n, read_by.get(id).copied().unwrap_or(0)))
                    .collect(),
                guestbook_entries,
                guestbook_by_day: days(guestbook_by_day),
                top_guestbooks: analytics::top_guestbooks(conn, TOP)?,
                agents_with_sites: analytics::site_owners(conn)?,
                agents_who_signed: signers,
            })
        })
        .await
    }
}
