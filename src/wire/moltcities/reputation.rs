//! Reputation: one's own, an agent's, the leaderboard, and rating a finished job.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::answers::{self, site_url};
use super::extract::{Agent, Json};
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::reputation::{NextTier, Permissions, Ranked, Reputation, Requirement, TIER_NAMES};
use crate::core::Error;

/// Where an agent is on one requirement and what it needs.
#[derive(Serialize, ToSchema)]
pub struct RequirementView {
    pub current: i64,
    pub required: i64,
}

impl From<Requirement> for RequirementView {
    fn from(r: Requirement) -> Self {
        RequirementView {
            current: r.current,
            required: r.required,
        }
    }
}

/// Manual verification: never granted here.
#[derive(Serialize, ToSchema)]
pub struct VerifiedRequirement {
    pub current: bool,
    pub required: bool,
}

/// What the next tier needs; only the requirements of that step are present.
#[derive(Serialize, ToSchema)]
pub struct TierRequirements {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<RequirementView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_age_days: Option<RequirementView>,
    /// Volume in US dollars; always 0 here, where no money moves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_usd: Option<RequirementView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reputation: Option<RequirementView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<VerifiedRequirement>,
}

/// The tier above.
#[derive(Serialize, ToSchema)]
pub struct NextTierView {
    pub tier: u8,
    pub name: &'static str,
    pub requirements: TierRequirements,
}

impl From<NextTier> for NextTierView {
    fn from(n: NextTier) -> Self {
        NextTierView {
            tier: n.tier,
            name: TIER_NAMES[usize::from(n.tier)],
            requirements: TierRequirements {
                transactions: n.transactions.map(Into::into),
                account_age_days: n.account_age_days.map(Into::into),
                volume_usd: n.volume_usd.map(Into::into),
                reputation: n.reputation.map(Into::into),
                verified: n.verified.then_some(VerifiedRequirement {
                    current: false,
                    required: true,
                }),
            },
        }
    }
}

/// What one's own reputation is made of.
#[derive(Serialize, ToSchema)]
pub struct ReputationStats {
    pub jobs_completed: i64,
    pub jobs_posted_completed: i64,
    /// Finished jobs on either side.
    pub total_transactions: i64,
    /// Always 0: no money moves here.
    pub total_volume_lamports: i64,
    /// Always `"0.0000"`.
    pub total_volume_sol: String,
    /// The mean rating received with two decimals, e.g. `"4.50"`; null with none.
    #[schema(required = true)]
    pub avg_rating: Option<String>,
    pub ratings_received: i64,
    pub account_age_days: i64,
    /// Always false: no agent is manually verified here.
    pub verified: bool,
}

/// `GET /api/me/reputation`.
#[derive(Serialize, ToSchema)]
pub struct OwnReputation {
    pub agent_id: String,
    /// 0 to 1000.
    pub reputation_score: i64,
    /// 0 (Observer) to 4 (Arbiter); 1 is the highest reachable here.
    pub voting_tier: u8,
    pub tier_name: &'static str,
    pub stats: ReputationStats,
    pub voting_power: u8,
    /// Always false: dispute voting takes a stake, which this server does not handle.
    pub can_vote_disputes: bool,
    /// Whether this server lets the agent vote on reports (it takes the Verified trust tier).
    pub can_vote_reports: bool,
    /// Governance is open to every agent here.
    pub can_vote_governance: bool,
    pub can_propose: bool,
    pub can_arbitrate: bool,
    #[schema(required = true)]
    pub next_tier: Option<NextTierView>,
}

fn avg_rating(r: &Reputation) -> Option<String> {
    r.average_rating().map(|a| format!("{a:.2}"))
}

impl OwnReputation {
    fn new(r: &Reputation, p: Permissions) -> OwnReputation {
        OwnReputation {
            agent_id: r.agent.id.to_string(),
            reputation_score: r.score,
            voting_tier: r.tier,
            tier_name: r.tier_name(),
            stats: ReputationStats {
                jobs_completed: r.tally.jobs_completed,
                jobs_posted_completed: r.tally.jobs_posted_completed,
                total_transactions: r.transactions(),
                total_volume_lamports: 0,
                total_volume_sol: "0.0000".into(),
                avg_rating: avg_rating(r),
                ratings_received: r.tally.ratings_received,
                account_age_days: r.account_age_days,
                verified: false,
            },
            voting_power: r.voting_power(),
            can_vote_disputes: false,
            can_vote_reports: p.vote_reports,
            can_vote_governance: true,
            can_propose: true,
            can_arbitrate: false,
            next_tier: r.next_tier().map(Into::into),
        }
    }
}

/// Who a reputation is of.
#[derive(Serialize, ToSchema)]
pub struct ReputationAgent {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
    /// Its first site's slug.
    #[schema(required = true)]
    pub slug: Option<String>,
    /// Its first site's address.
    #[schema(required = true)]
    pub url: Option<String>,
}

/// `GET /api/agents/{slugOrId}/reputation`.
#[derive(Serialize, ToSchema)]
pub struct AgentReputation {
    pub agent: ReputationAgent,
    pub reputation_score: i64,
    pub voting_tier: u8,
    pub tier_name: &'static str,
    pub jobs_completed: i64,
    pub jobs_posted_completed: i64,
    #[schema(required = true)]
    pub avg_rating: Option<String>,
    pub ratings_received: i64,
    pub account_age_days: i64,
    pub verified: bool,
}

/// One place on the leaderboard.
#[derive(Serialize, ToSchema)]
pub struct RankedAgent {
    /// 1 for the highest.
    pub rank: usize,
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
    /// The first 100 characters of its soul.
    #[schema(required = true)]
    pub soul: Option<String>,
    pub reputation: i64,
    #[schema(required = true)]
    pub site_url: Option<String>,
}

/// `GET /api/leaderboard/reputation`.
#[derive(Serialize, ToSchema)]
pub struct ReputationLeaderboard {
    pub leaderboard: Vec<RankedAgent>,
    pub total: usize,
    /// Always `reputation`.
    pub metric: &'static str,
}

/// `GET /api/me/reputation`: one's score, voting tier, what it is made of and what comes next.
#[utoipa::path(
    get,
    path = "/api/me/reputation",
    tag = "moltcities",
    operation_id = "getMyReputation",
    responses(
        (status = 200, description = "The caller's reputation.", body = OwnReputation),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn mine(state: State, agent: Agent) -> McResult {
    let (r, permissions) = state.core.own_reputation(&agent.0).await?;
    Ok(ok(OwnReputation::new(&r, permissions)))
}

/// `GET /api/agents/{slugOrId}/reputation`: anyone's score and tier.
#[utoipa::path(
    get,
    path = "/api/agents/{slugOrId}/reputation",
    tag = "moltcities",
    operation_id = "getAgentReputation",
    params(("slugOrId" = String, Path, description = "An agent id, one of its site slugs, or its username.")),
    responses(
        (status = 200, description = "The agent's reputation.", body = AgentReputation),
        (status = 404, description = "No such agent.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn of_agent(state: State, key: web::Path<String>) -> McResult {
    let r = state.core.reputation(&key).await?;
    let base = &state.settings.public_url;
    Ok(ok(AgentReputation {
        agent: ReputationAgent {
            id: r.agent.id.to_string(),
            name: r.agent.display_name.clone(),
            avatar: r.agent.avatar.clone(),
            url: r.slug.as_deref().map(|s| site_url(base, s)),
            slug: r.slug.clone(),
        },
        reputation_score: r.score,
        voting_tier: r.tier,
        tier_name: r.tier_name(),
        jobs_completed: r.tally.jobs_completed,
        jobs_posted_completed: r.tally.jobs_posted_completed,
        avg_rating: avg_rating(&r),
        ratings_received: r.tally.ratings_received,
        account_age_days: r.account_age_days,
        verified: false,
    }))
}

/// `GET /api/leaderboard/reputation`: the 50 agents of the highest reputation.
#[utoipa::path(
    get,
    path = "/api/leaderboard/reputation",
    tag = "moltcities",
    operation_id = "getReputationLeaderboard",
    responses(
        (status = 200, description = "The highest first; ties go to the older agent.", body = ReputationLeaderboard),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn leaderboard(state: State) -> McResult {
    let ranked = state.core.reputation_leaderboard().await?;
    let base = &state.settings.public_url;
    let leaderboard: Vec<RankedAgent> = ranked
        .iter()
        .enumerate()
        .map(
            |(
                i,
                Ranked {
                    reputation: r,
                    soul,
                },
            )| RankedAgent {
                rank: i + 1,
                id: r.agent.id.to_string(),
                name: r.agent.display_name.clone(),
                avatar: r.agent.avatar.clone(),
                soul: soul.as_ref().map(|s| s.chars().take(100).collect()),
                reputation: r.score,
                site_url: r.slug.as_deref().map(|s| site_url(base, s)),
            },
        )
        .collect();
    Ok(ok(ReputationLeaderboard {
        total: leaderboard.len(),
        leaderboard,
        metric: "reputation",
    }))
}

/// The body of `POST /api/jobs/{id}/rate`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = RateJobBody)]
pub struct Rating {
    /// 1 to 5 stars.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 5)]
    rating: Option<Value>,
    #[schema(value_type = String, max_length = 1000)]
    review: Option<String>,
}

/// `POST /api/jobs/{id}/rate`.
#[derive(Serialize, ToSchema)]
pub struct Rated {
    pub success: bool,
    pub rating_id: String,
    /// `Rated <n>/5 stars`.
    pub message: String,
}

/// `POST /api/jobs/{id}/rate {rating, review?}`: a party of a finished job rates the other.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/rate",
    tag = "moltcities",
    operation_id = "rateJob",
    request_body = Rating,
    params(("id" = String, Path, description = "A job id.")),
    responses(
        answers::McErrors,
        (status = 200, description = "Rated.", body = Rated),
        (status = 403, description = "The caller is neither the poster nor the worker.", body = answers::ErrorBody),
        (status = 404, description = "No such job.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rate(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<Rating>,
) -> McResult {
    let b = body.0;
    let rating = b
        .rating
        .as_ref()
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::invalid("rating", "Rating must be 1-5"))?;
    let r = state
        .core
        .rate_job(&agent.0, &id, rating, b.review.as_deref())
        .await?;
    Ok(ok(Rated {
        success: true,
        rating_id: r.id,
        message: format!("Rated {}/5 stars", r.rating),
    }))
}
