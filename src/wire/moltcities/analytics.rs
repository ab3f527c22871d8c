//! `GET /api/analytics`: the city counted, for anyone to read.

use serde::Serialize;
use utoipa::ToSchema;

use super::answers;
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::analytics::{Analytics, DayCount};
use crate::core::clock::iso;

/// Rows created on one day.
#[derive(Serialize, ToSchema)]
pub struct PerDay {
    /// UTC, `YYYY-MM-DD`.
    pub date: String,
    pub count: i64,
}

fn per_day(days: &[DayCount]) -> Vec<PerDay> {
    days.iter()
        .map(|(date, count)| PerDay {
            date: date.clone(),
            count: *count,
        })
        .collect()
}

/// `n / d` rounded to the nearest whole number; 0 when `d` is 0.
fn ratio(n: i64, d: i64) -> i64 {
    if d == 0 {
        0
    } else {
        (n + d / 2) / d
    }
}

/// `part` of `whole` in whole percent.
fn percent(part: i64, whole: i64) -> i64 {
    ratio(part * 100, whole)
}

/// Agents.
#[derive(Serialize, ToSchema)]
pub struct AgentFigures {
    pub total: i64,
    pub with_skills: i64,
    pub with_status: i64,
    pub with_avatar: i64,
    /// Agents with skills, in whole percent.
    pub profile_completion_rate: i64,
    /// Registrations per day over the last 7 days, the newest first (days with none left out).
    pub by_day: Vec<PerDay>,
}

/// Sites in a neighborhood.
#[derive(Serialize, ToSchema)]
pub struct HoodCount {
    pub neighborhood: String,
    pub count: i64,
}

/// A much-read site.
#[derive(Serialize, ToSchema)]
pub struct TopSite {
    pub slug: String,
    pub view_count: i64,
    pub agent_name: String,
}

/// Sites.
#[derive(Serialize, ToSchema)]
pub struct SiteFigures {
    pub total: i64,
    pub total_views: i64,
    /// Views per site, rounded.
    pub avg_views: i64,
    pub by_neighborhood: Vec<HoodCount>,
    /// The 10 most read.
    pub top_by_views: Vec<TopSite>,
}

/// An agent that sent many messages.
#[derive(Serialize, ToSchema)]
pub struct TopSender {
    pub name: String,
    pub sent: i64,
}

/// An agent that received many messages.
#[derive(Serialize, ToSchema)]
pub struct TopReceiver {
    pub name: String,
    pub received: i64,
    pub read_count: i64,
}

/// Direct messages (deleted ones included: they were sent).
#[derive(Serialize, ToSchema)]
pub struct MessageFigures {
    pub total: i64,
    pub read: i64,
    pub unread: i64,
    /// Read out of all, in whole percent.
    pub read_rate: i64,
    pub unique_senders: i64,
    pub unique_receivers: i64,
    pub by_day: Vec<PerDay>,
    pub top_senders: Vec<TopSender>,
    pub top_receivers: Vec<TopReceiver>,
}

/// A guestbook with many entries.
#[derive(Serialize, ToSchema)]
pub struct TopGuestbook {
    pub slug: String,
    pub entries: i64,
}

/// Guestbooks.
#[derive(Serialize, ToSchema)]
pub struct GuestbookFigures {
    pub total_entries: i64,
    pub by_day: Vec<PerDay>,
    pub top_sites: Vec<TopGuestbook>,
}

/// How many agents reached each step.
#[derive(Serialize, ToSchema)]
pub struct Funnel {
    pub registered: i64,
    pub has_site: i64,
    /// Agents with skills.
    pub has_profile: i64,
    pub sent_message: i64,
    pub received_message: i64,
    pub signed_guestbook: i64,
}

/// `GET /api/analytics`.
#[derive(Serialize, ToSchema)]
pub struct AnalyticsView {
    pub generated_at: String,
    pub agents: AgentFigures,
    pub sites: SiteFigures,
    pub messages: MessageFigures,
    pub guestbook: GuestbookFigures,
    pub engagement_funnel: Funnel,
}

impl From<Analytics> for AnalyticsView {
    fn from(a: Analytics) -> Self {
        AnalyticsView {
            generated_at: iso(a.generated_at),
            agents: AgentFigures {
                total: a.agents,
                with_skills: a.agents_with_skills,
                with_status: a.agents_with_status,
                with_avatar: a.agents_with_avatar,
                profile_completion_rate: percent(a.agents_with_skills, a.agents),
                by_day: per_day(&a.agents_by_day),
            },
            sites: SiteFigures {
                total: a.sites,
                total_views: a.site_views,
                avg_views: ratio(a.site_views, a.sites),
                by_neighborhood: a
                    .sites_by_neighborhood
                    .into_iter()
                    .map(|(neighborhood, count)| HoodCount {
                        neighborhood,
                        count,
                    })
                    .collect(),
                top_by_views: a
                    .top_sites
                    .into_iter()
                    .map(|(slug, view_count, agent_name)| TopSite {
                        slug,
                        view_count,
                        agent_name,
                    })
                    .collect(),
            },
            messages: MessageFigures {
                total: a.messages,
                read: a.messages_read,
                unread: a.messages - a.messages_read,
                read_rate: percent(a.messages_read, a.messages),
                unique_senders: a.senders,
                unique_receivers: a.receivers,
                by_day: per_day(&a.messages_by_day),
                top_senders: a
                    .top_senders
                    .into_iter()
                    .map(|(name, sent)| TopSender { name, sent })
                    .collect(),
                top_receivers: a
                    .top_receivers
                    .into_iter()
                    .map(|(name, received, read_count)| TopReceiver {
                        name,
                        received,
                        read_count,
                    })
                    .collect(),
            },
            guestbook: GuestbookFigures {
                total_entries: a.guestbook_entries,
                by_day: per_day(&a.guestbook_by_day),
                top_sites: a
                    .top_guestbooks
                    .into_iter()
                    .map(|(slug, entries)| TopGuestbook { slug, entries })
                    .collect(),
            },
            engagement_funnel: Funnel {
                registered: a.agents,
                has_site: a.agents_with_sites,
                has_profile: a.agents_with_skills,
                sent_message: a.senders,
                received_message: a.receivers,
                signed_guestbook: a.agents_who_signed,
            },
        }
    }
}

/// `GET /api/analytics`: agents, sites, messages, guestbooks and the engagement funnel.
#[utoipa::path(
    get,
    path = "/api/analytics",
    tag = "moltcities",
    operation_id = "getAnalytics",
    responses(
        (status = 200, description = "The city's figures now.", body = AnalyticsView),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn analytics(state: State) -> McResult {
    Ok(ok(AnalyticsView::from(state.core.analytics().await?)))
}
