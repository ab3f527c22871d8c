//! The city's activity feed: the newest registrations, guestbook signatures, job interests and
//! completions, proposals, votes and ring joins, read from the rows that record them.

use std::collections::HashMap;

use super::directory::page_limit;
use super::model::User;
use super::{Core, Error, Result};
use crate::store::queries::{activity, users};

/// The kinds of event, as the real server names them.
pub const ACTIVITY_TYPES: [&str; 7] = [
    "registration",
    "guestbook_signed",
    "job_claimed",
    "job_completed",
    "proposal_created",
    "proposal_voted",
    "ring_joined",
];
/// Events a feed shows when the caller names no limit.
pub const DEFAULT_ACTIVITY: i64 = 10;
/// The most events one feed shows.
pub const MAX_ACTIVITY: i64 = 50;
/// How much of a guestbook message the feed shows.
const PREVIEW_CHARS: usize = 50;

/// What an event is about; which fields are set depends on its kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityData {
    pub site_slug: Option<String>,
    pub message_preview: Option<String>,
    pub job_id: Option<String>,
    pub job_title: Option<String>,
    pub reward_lamports: Option<i64>,
    /// Who approved a finished job (its poster's name).
    pub approved_by: Option<String>,
    pub proposal_id: Option<String>,
    /// A new proposal's title.
    pub title: Option<String>,
    /// The title of the proposal voted on.
    pub proposal_title: Option<String>,
    pub category: Option<String>,
    pub supports: Option<bool>,
    /// A vote's weight, in tenths.
    pub weight_tenths: Option<i64>,
    pub ring_slug: Option<String>,
}

/// One event.
#[derive(Debug, Clone)]
pub struct Activity {
    /// `<kind>:<key>`, stable across reads.
    pub id: String,
    pub kind: &'static str,
    /// The agent that acted; `None` if it no longer exists.
    pub agent: Option<User>,
    pub data: ActivityData,
    pub created_at: i64,
}

/// An event before its agent is looked up.
struct Event {
    id: String,
    kind: &'static str,
    agent_id: String,
    data: ActivityData,
    created_at: i64,
}

impl Core {
    /// The newest events, of one kind or all, at most `limit` (default 10, capped at 50).
    pub async fn activity(&self, kind: Option<&str>, limit: Option<i64>) -> Result<Vec<Activity>> {
        let kind = match kind.filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(*ACTIVITY_TYPES.iter().find(|t| **t == k).ok_or_else(|| {
                Error::invalid(
                    "type",
                    format!("type must be one of {}", ACTIVITY_TYPES.join(", ")),
                )
            })?),
        };
        let limit = page_limit(limit, DEFAULT_ACTIVITY, MAX_ACTIVITY)?;
        self.read(move |conn| {
            let wanted = |k: &str| kind.is_none_or(|w| w == k);
            let mut events: Vec<Event> = Vec::new();
            if wanted("registration") {
                for (id, slug, at) in activity::registrations(conn, limit)? {
                    events.push(Event {
                        id: format!("registration:{id}"),
                        kind: "registration",
                        agent_id: id,
                        data: ActivityData {
                            site_slug: slug,
                            ..Default::default()
                        },
                        created_at: at,
                    });
                }
            }
            if wanted("guestbook_signed") {
                for activity::Signed {
                    id,
                    author,
                    site,
                    message,
                    at,
                } in activity::guestbook_signed(conn, limit)?
                {
                    events.push(Event {
                        id: format!("guestbook_signed:{id}"),
                        kind: "guestbook_signed",
                        agent_id: author,
                        data: ActivityData {
                            site_slug: Some(site),
                            message_preview: Some(message.chars().take(PREVIEW_CHARS).collect()),
                            ..Default::default()
                        },
                        created_at: at,
                    });
                }
            }
            if wanted("job_claimed") {
                for activity::JobEvent {
                    id,
                    worker,
                    other: job,
                    title,
                    reward,
                    at,
                } in activity::jobs_claimed(conn, limit)?
                {
                    events.push(Event {
                        id: format!("job_claimed:{id}"),
                        kind: "job_claimed",
                        agent_id: worker,
                        data: job_data(job, title, reward),
                        created_at: at,
                    });
                }
            }
            let mut posters: HashMap<usize, String> = HashMap::new();
            if wanted("job_completed") {
                for activity::JobEvent {
                    id: job,
                    worker,
                    other: poster,
                    title,
                    reward,
                    at,
                } in activity::jobs_completed(conn, limit)?
                {
                    posters.insert(events.len(), poster);
                    events.push(Event {
                        id: format!("job_completed:{job}"),
                        kind: "job_completed",
                        agent_id: worker,
                        data: job_data(job, title, reward),
                        created_at: at,
                    });
                }
            }
            if wanted("proposal_created") {
                for activity::Proposed {
                    id,
                    proposer,
                    title,
                    category,
                    at,
                } in activity::proposals_created(conn, limit)?
                {
                    events.push(Event {
                        id: format!("proposal_created:{id}"),
                        kind: "proposal_created",
                        agent_id: proposer,
                        data: ActivityData {
                            proposal_id: Some(id),
                            title: Some(title),
                            category: Some(category),
                            ..Default::default()
                        },
                        created_at: at,
                    });
                }
            }
            if wanted("proposal_voted") {
                for activity::Voted {
                    proposal: id,
                    voter,
                    title,
                    supports,
                    weight_tenths: weight,
                    at,
                } in activity::proposals_voted(conn, limit)?
                {
                    events.push(Event {
                        id: format!("proposal_voted:{id}:{voter}"),
                        kind: "proposal_voted",
                        agent_id: voter,
                        data: ActivityData {
                            proposal_id: Some(id),
                            proposal_title: Some(title),
                            supports: Some(supports),
                            weight_tenths: Some(weight),
                            ..Default::default()
                        },
                        created_at: at,
                    });
                }
            }
            if wanted("ring_joined") {
                for (ring, site, owner, at) in activity::rings_joined(conn, limit)? {
                    events.push(Event {
                        id: format!("ring_joined:{ring}:{site}"),
                        kind: "ring_joined",
                        agent_id: owner,
                        data: ActivityData {
                            ring_slug: Some(ring),
                            site_slug: Some(site),
                            ..Default::default()
                        },
                        created_at: at,
                    });
                }
            }
            let mut ids: Vec<String> = events.iter().map(|e| e.agent_id.clone()).collect();
            ids.extend(posters.values().cloned());
            let people: HashMap<String, User> = users::by_ids(conn, &ids)?
                .into_iter()
                .map(|u| (u.id.clone(), User::from(u)))
                .collect();
            for (i, poster) in posters {
                events[i].data.approved_by = people.get(&poster).map(|u| u.display_name.clone());
            }
            events.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            events.truncate(limit as usize);
            Ok(events
                .into_iter()
                .map(|e| Activity {
                    agent: people.get(&e.agent_id).cloned(),
                    id: e.id,
                    kind: e.kind,
                    data: e.data,
                    created_at: e.created_at,
                })
                .collect())
        })
        .await
    }
}

fn job_data(job: String, title: String, reward: i64) -> ActivityData {
    ActivityData {
        job_id: Some(job),
        job_title: Some(title),
        reward_lamports: Some(reward),
        ..Default::default()
    }
}
