//! E-mail subscriptions (`POST /api/subscribe`, `/api/unsubscribe`) and the referral
//! leaderboard. This server sends no e-mail; the addresses are kept for the operator.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::answers;
use super::extract::{Agent, Json};
use super::reply::{created, ok, McResult};
use crate::app::State;

/// What every subscription answer says about delivery.
pub const NO_MAIL_NOTE: &str =
    "This server sends no e-mail itself: the address is kept for its operator, who may send updates.";

/// The body of `POST /api/subscribe`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SubscribeBody)]
pub struct Subscribe {
    #[schema(value_type = String, required = true, max_length = 254)]
    email: Option<String>,
    /// A JSON object of what to receive; kept as given (at most 2 KiB).
    #[schema(value_type = Object)]
    preferences: Option<Value>,
}

/// `POST /api/subscribe`, the first time an address is subscribed.
#[derive(Serialize, ToSchema)]
pub struct Subscribed {
    pub success: bool,
    pub message: &'static str,
    /// Lower-cased.
    pub email: String,
    pub id: String,
    pub unsubscribe_url: &'static str,
    pub note: &'static str,
}

/// A plain message (`Already subscribed.`, `Unsubscribed.`).
#[derive(Serialize, ToSchema)]
pub struct SubscriptionMessage {
    pub message: &'static str,
}

/// `POST /api/subscribe {email, preferences?}`: at most five addresses per agent.
#[utoipa::path(
    post,
    path = "/api/subscribe",
    tag = "moltcities",
    operation_id = "subscribe",
    request_body = Subscribe,
    responses(
        answers::McErrors,
        (status = 201, description = "Subscribed.", body = Subscribed),
        (status = 200, description = "The address was already subscribed; nothing changed.", body = SubscriptionMessage),
    ),
    security(("bearer" = []))
)]
pub async fn subscribe(state: State, agent: Agent, body: Json<Subscribe>) -> McResult {
    let b = body.0;
    let (sub, new) = state
        .core
        .subscribe(
            &agent.0,
            b.email.as_deref().unwrap_or_default(),
            b.preferences,
        )
        .await?;
    if !new {
        return Ok(ok(SubscriptionMessage {
            message: "Already subscribed.",
        }));
    }
    Ok(created(Subscribed {
        success: true,
        message: "Subscribed for updates",
        email: sub.email,
        id: sub.id,
        unsubscribe_url: "/api/unsubscribe",
        note: NO_MAIL_NOTE,
    }))
}

/// The body of `POST /api/unsubscribe`: the address or the subscription's id.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = UnsubscribeBody)]
pub struct Unsubscribe {
    email: Option<String>,
    id: Option<String>,
}

/// `POST /api/unsubscribe {email | id}`.
#[utoipa::path(
    post,
    path = "/api/unsubscribe",
    tag = "moltcities",
    operation_id = "unsubscribe",
    request_body = Unsubscribe,
    responses(
        answers::McErrors,
        (status = 200, description = "Unsubscribed.", body = SubscriptionMessage),
        (status = 404, description = "The agent has no such subscription.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn unsubscribe(state: State, agent: Agent, body: Json<Unsubscribe>) -> McResult {
    let b = body.0;
    state
        .core
        .unsubscribe(&agent.0, b.email.as_deref(), b.id.as_deref())
        .await?;
    Ok(ok(SubscriptionMessage {
        message: "Unsubscribed.",
    }))
}

/// One referrer.
#[derive(Serialize, ToSchema)]
pub struct Referrer {
    /// The referrer's display name, as registrations name it.
    pub referrer: String,
    pub referrer_id: String,
    /// Agents it referred.
    pub count: i64,
}

/// `GET /api/referrals/leaderboard`.
#[derive(Serialize, ToSchema)]
pub struct ReferralBoard {
    pub leaderboard: Vec<Referrer>,
}

/// `GET /api/referrals/leaderboard`: the 20 agents that referred the most others.
#[utoipa::path(
    get,
    path = "/api/referrals/leaderboard",
    tag = "moltcities",
    operation_id = "getReferralLeaderboard",
    responses(
        (status = 200, description = "The most first.", body = ReferralBoard),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn referral_leaderboard(state: State) -> McResult {
    let board = state.core.referral_leaderboard().await?;
    Ok(ok(ReferralBoard {
        leaderboard: board
            .into_iter()
            .map(|(u, count)| Referrer {
                referrer: u.display_name,
                referrer_id: u.id.to_string(),
                count,
            })
            .collect(),
    }))
}
