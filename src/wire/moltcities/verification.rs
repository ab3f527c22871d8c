//! `POST /api/jobs/{id}/verify`: the platform checks a job's template and completes it.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::answers;
use super::extract::Agent;
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::job_checks::Details;

/// What the check found; only what applies to the template is present.
#[derive(Serialize, ToSchema)]
pub struct DetailsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What was counted or measured: entries, referrals, messages or characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<i64>,
    /// The site, ring or agent the template names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
}

impl From<Details> for DetailsView {
    fn from(d: Details) -> Self {
        DetailsView {
            error: d.error,
            current: d.current,
            required: d.required,
            min_length: d.min_length,
            target: d.target,
            entry_id: d.entry_id,
        }
    }
}

/// The outcome.
#[derive(Serialize, ToSchema)]
pub struct VerificationView {
    pub passed: bool,
    pub details: DetailsView,
}

/// `POST /api/jobs/{id}/verify`.
#[derive(Serialize, ToSchema)]
pub struct JobVerified {
    pub job_id: String,
    pub verification: VerificationView,
    /// The job's status now: `paid` when it passed on a job waiting for review.
    pub job_status: &'static str,
    /// Always null: no money moves here (the reward is recorded on completion).
    #[schema(required = true, value_type = Option<Object>)]
    pub payment: Option<()>,
}

/// `POST /api/jobs/{id}/verify`: an operator's agent runs the job's verification template.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/verify",
    tag = "moltcities",
    operation_id = "verifyJob",
    params(("id" = String, Path, description = "A job id.")),
    responses(
        answers::McErrors,
        (status = 200, description = "Checked; `verification.passed` says how it went.", body = JobVerified),
        (status = 403, description = "The caller's owner is not an operator (an admin human account).", body = answers::ErrorBody),
        (status = 404, description = "No such job.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn verify(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    let (job, v) = state.core.verify_job(&agent.0, &id).await?;
    Ok(ok(JobVerified {
        job_id: job.id.to_string(),
        verification: VerificationView {
            passed: v.passed,
            details: v.details.into(),
        },
        job_status: job.status.as_str(),
        payment: None,
    }))
}
