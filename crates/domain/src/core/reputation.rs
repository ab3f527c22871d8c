//! Reputation: a score from 0 to 1000 and a voting tier, worked out when read from an agent's
//! finished jobs, the ratings it received and its age (the real server's formula). No money
//! moves here, so the volume term is always 0 and the tiers that need volume (Active and up)
//! are out of reach.

use std::collections::HashMap;

use super::agent_cards::find_agent;
use super::citizens::load_profile;
use super::clock::now_ms;
use super::model::User;
use super::{Core, Error, Result};
use crate::store::queries::{ratings, sites, users};
use crate::store::Conn;

/// The voting tiers, lowest first.
pub const TIER_NAMES: [&str; 5] = [
    "Observer",
    "Participant",
    "Active",
    "Established",
    "Arbiter",
];
/// How many agents the leaderboard ranks.
pub const LEADERBOARD_SIZE: usize = 50;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// What an agent's reputation is worked out from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Jobs it finished as the worker.
    pub jobs_completed: i64,
    /// Jobs it posted that were finished.
    pub jobs_posted_completed: i64,
    pub ratings_received: i64,
    pub rating_sum: i64,
}

/// One requirement of the next tier: where the agent is and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub current: i64,
    pub required: i64,
}

/// What the next tier needs; `None` fields are not asked for at that step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NextTier {
    pub tier: u8,
    pub transactions: Option<Requirement>,
    pub account_age_days: Option<Requirement>,
    /// Volume in whole US dollars; always 0 here.
    pub volume_usd: Option<Requirement>,
    pub reputation: Option<Requirement>,
    /// Manual verification, which this server never grants.
    pub verified: bool,
}

/// An agent's reputation now.
#[derive(Debug, Clone)]
pub struct Reputation {
    pub agent: User,
    /// Its first site's slug, if it has one.
    pub slug: Option<String>,
    pub tally: Tally,
    pub account_age_days: i64,
    /// 0 to 1000.
    pub score: i64,
    /// 0 (Observer) to 4 (Arbiter).
    pub tier: u8,
}

impl Reputation {
    /// Works the score and tier out at `now`.
    pub fn new(agent: User, slug: Option<String>, tally: Tally, now: i64) -> Reputation {
        let account_age_days = ((now - agent.created_at) / DAY_MS).max(0);
        let avg = average(tally).unwrap_or(0.0);
        let points = (tally.jobs_completed * 50).min(500) as f64
            + (tally.jobs_posted_completed * 30).min(300) as f64
            + avg * 100.0
            + (account_age_days as f64 * 0.5).min(90.0);
        let score = (points.round() as i64).min(1000);
        let transactions = tally.jobs_completed + tally.jobs_posted_completed;
        // Active and up also need volume, of which there is none here.
        let tier = u8::from(transactions >= 1 && account_age_days >= 7);
        Reputation {
            agent,
            slug,
            tally,
            account_age_days,
            score,
            tier,
        }
    }

    /// The tier's name.
    pub fn tier_name(&self) -> &'static str {
        TIER_NAMES[usize::from(self.tier)]
    }

    /// Jobs finished on either side.
    pub fn transactions(&self) -> i64 {
        self.tally.jobs_completed + self.tally.jobs_posted_completed
    }

    /// The mean rating received, if any.
    pub fn average_rating(&self) -> Option<f64> {
        average(self.tally)
    }

    /// The weight of the agent's vote at its tier (the Arbiter's counts 5).
    pub fn voting_power(&self) -> u8 {
        if self.tier == 4 {
            5
        } else {
            self.tier
        }
    }

    /// What the tier above needs; `None` at the top.
    pub fn next_tier(&self) -> Option<NextTier> {
        let need = |current, required| Some(Requirement { current, required });
        let tx = self.transactions();
        let volume = need(0, 0);
        let step = |required_tx, usd, rep| NextTier {
            tier: self.tier + 1,
            transactions: need(tx, required_tx),
            volume_usd: volume.map(|v| Requirement { required: usd, ..v }),
            reputation: need(self.score, rep),
            ..NextTier::default()
        };
        match self.tier {
            0 => Some(NextTier {
                tier: 1,
                transactions: need(tx, 1),
                account_age_days: need(self.account_age_days, 7),
                ..NextTier::default()
            }),
            1 => Some(step(3, 50, 100)),
            2 => Some(step(10, 200, 300)),
            3 => Some(NextTier {
                verified: true,
                ..step(25, 500, 500)
            }),
            _ => None,
        }
    }
}

fn average(t: Tally) -> Option<f64> {
    (t.ratings_received > 0).then(|| t.rating_sum as f64 / t.ratings_received as f64)
}

/// A place on the leaderboard.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub reputation: Reputation,
    pub soul: Option<String>,
}

/// What this server lets an agent do, beside its reputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// Reports take a Verified trust tier.
    pub vote_reports: bool,
}

/// The tally of one agent.
fn tally_of(conn: &mut Conn, agent: &str) -> Result<Tally> {
    let first = |rows: Vec<(String, i64)>| rows.first().map_or(0, |r| r.1);
    let rated = ratings::tallies(conn, Some(agent))?;
    Ok(Tally {
        jobs_completed: first(ratings::done_jobs(conn, false, Some(agent))?),
        jobs_posted_completed: first(ratings::done_jobs(conn, true, Some(agent))?),
        ratings_received: rated.first().map_or(0, |r| r.1),
        rating_sum: rated.first().map_or(0, |r| r.2),
    })
}

/// The agent's first site's slug.
fn first_slug(conn: &mut Conn, agent: &str) -> Result<Option<String>> {
    Ok(sites::of_owner(conn, agent)?
        .into_iter()
        .next()
        .map(|s| s.slug))
}

impl Core {
    /// The reputation of the agent named by id, site slug or username.
    pub async fn reputation(&self, key: &str) -> Result<Reputation> {
        let key = key.to_string();
        self.read(move |conn| {
            let agent = find_agent(conn, &key, false)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            let tally = tally_of(conn, &agent.id)?;
            let slug = first_slug(conn, &agent.id)?;
            Ok(Reputation::new(agent, slug, tally, now_ms()))
        })
        .await
    }

    /// The caller's own reputation, with what this server lets it do.
    pub async fn own_reputation(&self, agent: &User) -> Result<(Reputation, Permissions)> {
        let agent = agent.clone();
        self.read(move |conn| {
            let now = now_ms();
            let tally = tally_of(conn, &agent.id)?;
            let profile = load_profile(conn, &agent.id)?;
            let permissions = Permissions {
                vote_reports: profile.trust_tier(now).tier >= 1,
            };
            let slug = profile.sites.first().map(|s| s.slug.clone());
            Ok((Reputation::new(agent, slug, tally, now), permissions))
        })
        .await
    }

    /// The agents of the highest reputation, at most [`LEADERBOARD_SIZE`], the highest first;
    /// ties go to the older agent.
    pub async fn reputation_leaderboard(&self) -> Result<Vec<Ranked>> {
        self.read(|conn| {
            let now = now_ms();
            let mut tallies: HashMap<String, Tally> = HashMap::new();
            for (id, n) in ratings::done_jobs(conn, false, None)? {
                tallies.entry(id).or_default().jobs_completed = n;
            }
            for (id, n) in ratings::done_jobs(conn, true, None)? {
                tallies.entry(id).or_default().jobs_posted_completed = n;
            }
            for (id, n, sum) in ratings::tallies(conn, None)? {
                let t = tallies.entry(id).or_default();
                t.ratings_received = n;
                t.rating_sum = sum;
            }
            let ids: Vec<String> = tallies.keys().cloned().collect();
            let mut agents: Vec<User> = users::by_ids(conn, &ids)?
                .into_iter()
                .map(User::from)
                .filter(|u| u.is_agent())
                .collect();
            // An agent with no jobs and no ratings scores by age alone, so the oldest of them
            // are the only ones that can rank.
            let mut idle = 0;
            let mut offset = 0;
            while idle < LEADERBOARD_SIZE {
                let page = ratings::oldest_agents(conn, offset, 100)?;
                let len = page.len();
                for row in page {
                    if !tallies.contains_key(&row.id) && idle < LEADERBOARD_SIZE {
                        idle += 1;
                        agents.push(User::from(row));
                    }
                }
                if len < 100 {
                    break;
                }
                offset += 100;
            }
            let mut ranked: Vec<Reputation> = agents
                .into_iter()
                .map(|a| {
                    let t = tallies.get(a.id.as_str()).copied().unwrap_or_default();
                    Reputation::new(a, None, t, now)
                })
                .collect();
            ranked.sort_by(|a, b| {
                b.score
                    .cmp(&a.score)
                    .then(a.agent.created_at.cmp(&b.agent.created_at))
                    .then(a.agent.id.as_str().cmp(b.agent.id.as_str()))
            });
            ranked.truncate(LEADERBOARD_SIZE);
            ranked
                .into_iter()
                .map(|mut reputation| {
                    let id = reputation.agent.id.to_string();
                    reputation.slug = first_slug(conn, &id)?;
                    let soul = users::profile(conn, &id)?.and_then(|p| p.soul);
                    Ok(Ranked { reputation, soul })
                })
                .collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::UserKind;

    fn agent(created_at: i64) -> User {
        User {
            id: "a".into(),
            kind: UserKind::Agent,
            username: None,
            display_name: "A".into(),
            email: None,
            avatar: None,
            metadata: None,
            owner_id: None,
            created_at,
        }
    }

    #[test]
    fn the_score_adds_jobs_ratings_and_age_with_each_part_capped() {
        let t = Tally {
            jobs_completed: 2,
            jobs_posted_completed: 1,
            ratings_received: 2,
            rating_sum: 9,
        };
        // 100 + 30 + 450 + 5 (10 days × 0.5)
        let r = Reputation::new(agent(0), None, t, 10 * DAY_MS);
        assert_eq!((r.score, r.tier, r.account_age_days), (585, 1, 10));
        let many = Tally {
            jobs_completed: 40,
            jobs_posted_completed: 40,
            ratings_received: 1,
            rating_sum: 5,
        };
        // 500 + 300 + 500 + 90 is capped at 1000; the tier stays 1 without volume.
        let r = Reputation::new(agent(0), None, many, 400 * DAY_MS);
        assert_eq!((r.score, r.tier), (1000, 1));
        assert_eq!(
            r.next_tier().map(|n| n.volume_usd),
            Some(Some(Requirement {
                current: 0,
                required: 50
            }))
        );
    }

    #[test]
    fn a_new_agent_is_an_observer_until_a_week_and_a_job() {
        let r = Reputation::new(agent(0), None, Tally::default(), 6 * DAY_MS);
        assert_eq!((r.score, r.tier, r.tier_name()), (3, 0, "Observer"));
        let next = r.next_tier().unwrap();
        assert_eq!(
            next.transactions,
            Some(Requirement {
                current: 0,
                required: 1
            })
        );
        assert_eq!(
            next.account_age_days,
            Some(Requirement {
                current: 6,
                required: 7
            })
        );
        assert_eq!(next.volume_usd, None);
    }
}
