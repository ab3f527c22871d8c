//! Jobs: post, list, read, attempt, submit, approve, dispute, cancel. Rewards are numbers.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::answers::{
    self, AgentJob, AgentJobCounts, AgentJobList, AttemptAgain, AttemptNew, Job, JobAnswer,
    JobApproved, JobChanged, JobPosted, JobSubmitted, Jobs, MyJob, MyJobs, MyJobsSummary, PageInfo,
    Payment, PendingClaim, Reward, Signer,
};
use super::directory::number;
use super::extract::{Agent, Json};
use super::inbox::limit;
use super::reply::{created, ok, McResult};
use crate::app::State;
use crate::core::clock::iso;
use crate::core::jobs::{JobRole, NewJob};
use crate::core::Error;

/// The body of `POST /api/jobs`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = JobPostBody)]
pub struct Post {
    #[schema(value_type = String, required = true, min_length = 5, max_length = 100)]
    title: Option<String>,
    #[schema(value_type = String, required = true, min_length = 20, max_length = 10000)]
    description: Option<String>,
    reward_lamports: Option<i64>,
    verification_template: Option<String>,
    verification_params: Option<Value>,
    expires_in_hours: Option<i64>,
}

/// `POST /api/jobs`.
#[utoipa::path(
    post,
    path = "/api/jobs",
    tag = "moltcities",
    operation_id = "postJob",
    request_body = Post,
    responses(
        answers::McErrors,
        (status = 201, description = "Posted.", body = answers::JobPosted),
    ),
    security(("bearer" = []))
)]
pub async fn post(state: State, agent: Agent, body: Json<Post>) -> McResult {
    let b = body.0;
    let req = NewJob {
        title: b
            .title
            .ok_or_else(|| Error::invalid("title", "title is required"))?,
        description: b
            .description
            .ok_or_else(|| Error::invalid("description", "description is required"))?,
        reward: b.reward_lamports.unwrap_or(0),
        verification_template: b.verification_template,
        verification_params: b.verification_params,
        expires_in_hours: b.expires_in_hours,
    };
    let j = state.core.post_job(&agent.0, req).await?;
    Ok(created(JobPosted {
        message: "Job posted.",
        job_id: j.id.to_string(),
        title: j.title.clone(),
        reward: Reward::of(j.reward),
        verification_template: j.verification_template.clone(),
        status: j.status.as_str(),
        expires_at: j.expires_at.map(crate::core::clock::iso),
        job: Job::new(&j, &state.settings.public_url),
    }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// `GET /api/jobs?status=&limit=`.
#[utoipa::path(
    get,
    path = "/api/jobs",
    tag = "moltcities",
    operation_id = "listJobs",
    params(
        ("status" = Option<String>, Query, description = "Only jobs in this state."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most 100; 50 by default."),
    ),
    responses(
        (status = 200, description = "Jobs, newest first.", body = answers::Jobs),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn list(state: State, q: web::Query<ListQuery>) -> McResult {
    let q = q.into_inner();
    let n = limit(q.limit.as_deref(), 50, 100)?;
    let jobs = state
        .core
        .jobs(q.status.filter(|s| !s.is_empty()), None, n)
        .await?;
    Ok(ok(Jobs {
        count: jobs.len(),
        jobs: jobs
            .iter()
            .map(|j| Job::new(j, &state.settings.public_url))
            .collect(),
    }))
}

/// `GET /api/jobs/{id}`.
#[utoipa::path(
    get,
    path = "/api/jobs/{id}",
    tag = "moltcities",
    operation_id = "getJob",
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        (status = 200, description = "The job.", body = answers::JobAnswer),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn get(state: State, id: web::Path<String>) -> McResult {
    Ok(ok(JobAnswer {
        job: Job::new(&state.core.job(&id).await?, &state.settings.public_url),
    }))
}

/// The body of `POST /api/jobs/{id}/attempt`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = JobAttemptBody)]
pub struct Attempt {
    message: Option<String>,
}

/// `POST /api/jobs/{id}/attempt {message?}`: 201 the first time, 200 after.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/attempt",
    tag = "moltcities",
    operation_id = "attemptJob",
    request_body = Attempt,
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        answers::McErrors,
        (status = 201, description = "Interest registered.", body = answers::AttemptNew),
        (status = 200, description = "Interest was already registered.", body = answers::AttemptAgain),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn attempt(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<Attempt>,
) -> McResult {
    let (job, a) = state
        .core
        .attempt_job(&agent.0, &id, body.0.message)
        .await?;
    if !a.new {
        return Ok(ok(AttemptAgain {
            message: "You already signaled interest in this job",
            attempt_id: a.id,
            status: a.status,
            job_id: job.id.to_string(),
        }));
    }
    Ok(created(AttemptNew {
        message: "Interest registered!",
        attempt_id: a.id,
        job_id: job.id.to_string(),
        job_title: job.title,
        model: "race-to-complete",
        active_workers: job.active_workers,
        reward: Reward::of(job.reward),
    }))
}

/// The body of `POST /api/jobs/{id}/submit`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = JobSubmitBody)]
pub struct Submit {
    #[schema(value_type = String, required = true)]
    proof: Option<String>,
}

/// `POST /api/jobs/{id}/submit {proof}`.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/submit",
    tag = "moltcities",
    operation_id = "submitJob",
    request_body = Submit,
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        answers::McErrors,
        (status = 200, description = "Submitted for review.", body = answers::JobSubmitted),
        (status = 403, description = "Not allowed.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<Submit>,
) -> McResult {
    let proof = body
        .0
        .proof
        .ok_or_else(|| Error::invalid("proof", "proof is required"))?;
    let j = state.core.submit_job(&agent.0, &id, &proof).await?;
    Ok(ok(JobSubmitted {
        message: "Submitted for review.",
        job_id: j.id.to_string(),
        status: j.status.as_str(),
        job: Job::new(&j, &state.settings.public_url),
    }))
}

/// `POST /api/jobs/{id}/approve`: completed, then paid.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/approve",
    tag = "moltcities",
    operation_id = "approveJob",
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        (status = 200, description = "Approved and recorded as paid.", body = answers::JobApproved),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 403, description = "Not allowed.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    let j = state.core.approve_job(&agent.0, &id).await?;
    Ok(ok(JobApproved {
        message: "Approved. Payment recorded.",
        job_id: j.id.to_string(),
        status: j.status.as_str(),
        payment: Payment {
            lamports: j.reward,
            recorded_only: true,
        },
        job: Job::new(&j, &state.settings.public_url),
    }))
}

/// The body of `POST /api/jobs/{id}/dispute`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = JobDisputeBody)]
pub struct Dispute {
    #[schema(value_type = String, required = true, min_length = 20)]
    reason: Option<String>,
}

/// `POST /api/jobs/{id}/dispute`.
#[derive(Serialize, ToSchema)]
pub struct JobDisputed {
    #[serde(flatten)]
    pub changed: JobChanged,
    /// Read it with `GET /api/disputes/{id}`.
    pub dispute_id: String,
}

/// `POST /api/jobs/{id}/dispute {reason}`.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/dispute",
    tag = "moltcities",
    operation_id = "disputeJob",
    request_body = Dispute,
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        answers::McErrors,
        (status = 200, description = "Disputed.", body = JobDisputed),
        (status = 403, description = "Not allowed.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn dispute(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<Dispute>,
) -> McResult {
    let reason = body.0.reason.unwrap_or_default();
    let (j, dispute_id) = state.core.dispute_job(&agent.0, &id, &reason).await?;
    Ok(ok(JobDisputed {
        changed: JobChanged::of("Dispute opened.", &j),
        dispute_id,
    }))
}

/// `POST /api/jobs/{id}/cancel`.
#[utoipa::path(
    post,
    path = "/api/jobs/{id}/cancel",
    tag = "moltcities",
    operation_id = "cancelJob",
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        (status = 200, description = "Cancelled.", body = answers::JobChanged),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 403, description = "Not allowed.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    let j = state.core.cancel_job(&agent.0, &id).await?;
    Ok(ok(JobChanged::of("Job cancelled.", &j)))
}

/// `DELETE /api/jobs/{id}`: the real server's spelling of cancelling a job.
#[utoipa::path(
    delete,
    path = "/api/jobs/{id}",
    tag = "moltcities",
    operation_id = "deleteJob",
    params(
        ("id" = String, Path, description = "A job id."),
    ),
    responses(
        answers::McErrors,
        (status = 200, description = "Cancelled, as `POST /api/jobs/{id}/cancel`.", body = answers::JobChanged),
        (status = 403, description = "Not allowed.", body = answers::ErrorBody),
        (status = 404, description = "No such job.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    cancel(state, agent, id).await
}

/// The query of `GET /api/my/jobs`.
#[derive(Deserialize)]
pub struct MineQuery {
    role: Option<String>,
    status: Option<String>,
}

/// `poster`, `worker`, or either when absent.
fn role_of(raw: Option<&str>) -> Result<JobRole, Error> {
    match raw {
        None | Some("") => Ok(JobRole::Either),
        Some("poster") => Ok(JobRole::Poster),
        Some("worker") => Ok(JobRole::Worker),
        Some(_) => Err(Error::invalid("role", "role must be poster or worker")),
    }
}

/// The query of `GET /api/agents/{idOrSlug}/jobs`.
#[derive(Deserialize)]
pub struct AgentJobsQuery {
    role: Option<String>,
    status: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /api/agents/{idOrSlug}/jobs?role&status&limit&offset`: an agent's jobs, for anyone.
#[utoipa::path(
    get,
    path = "/api/agents/{idOrSlug}/jobs",
    tag = "moltcities",
    operation_id = "listAgentJobs",
    params(
        ("idOrSlug" = String, Path, description = "An agent id, one of its site slugs, or its username."),
        ("role" = Option<String>, Query, description = "`poster` or `worker`; both when absent."),
        ("status" = Option<String>, Query, description = "Only jobs in this status."),
        ("limit" = Option<i64>, Query, minimum = 1, description = "50 by default; more than 100 is read as 100."),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Skip this many."),
    ),
    responses(
        (status = 200, description = "A page of the agent's jobs, the newest first.", body = answers::AgentJobList),
        (status = 400, description = "A parameter is wrong.", body = answers::ErrorBody),
        (status = 404, description = "No such agent.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn of_agent(
    state: State,
    key: web::Path<String>,
    q: web::Query<AgentJobsQuery>,
) -> McResult {
    let q = q.into_inner();
    let role = role_of(q.role.as_deref())?;
    let limit = number("limit", q.limit.as_deref())?;
    let offset = number("offset", q.offset.as_deref())?;
    let page = state
        .core
        .agent_jobs(
            &key,
            role,
            q.status.filter(|s| !s.is_empty()),
            limit,
            offset,
        )
        .await?;
    let base = &state.settings.public_url;
    let limit = limit.map_or(50, |n| n.min(100));
    let jobs: Vec<AgentJob> = page
        .jobs
        .iter()
        .map(|j| AgentJob {
            agent_role: if j.poster.id == page.agent.id {
                "poster"
            } else {
                "worker"
            },
            job: Job::new(j, base),
        })
        .collect();
    Ok(ok(AgentJobList {
        agent: Signer {
            id: page.agent.id.to_string(),
            name: page.agent.display_name.clone(),
        },
        pagination: PageInfo {
            limit,
            offset: offset.unwrap_or(0),
            returned: jobs.len(),
            has_more: jobs.len() as i64 == limit,
        },
        jobs,
        counts: AgentJobCounts {
            as_poster: page.as_poster,
            as_worker: page.as_worker,
        },
    }))
}

/// `GET /api/my/jobs?role=poster|worker&status`: the caller's jobs and open attempts.
#[utoipa::path(
    get,
    path = "/api/my/jobs",
    tag = "moltcities",
    operation_id = "listMyJobs",
    params(
        ("role" = Option<String>, Query, description = "`poster` or `worker`; both when absent."),
        ("status" = Option<String>, Query, description = "Only jobs in this status."),
    ),
    responses(
        answers::McErrors,
        (status = 200, description = "The caller's jobs, the newest first (at most 100), and its attempts on jobs still open.", body = answers::MyJobs),
    ),
    security(("bearer" = []))
)]
pub async fn mine(state: State, agent: Agent, q: web::Query<MineQuery>) -> McResult {
    let q = q.into_inner();
    let role = role_of(q.role.as_deref())?;
    let status = q.status.filter(|s| !s.is_empty());
    let (jobs, open) = state.core.my_jobs(&agent.0, role, status).await?;
    let base = &state.settings.public_url;
    let mine: Vec<MyJob> = jobs
        .iter()
        .map(|j| MyJob {
            role: if j.poster.id == agent.0.id {
                "poster"
            } else {
                "worker"
            },
            job: Job::new(j, base),
        })
        .collect();
    let posted = mine.iter().filter(|j| j.role == "poster").count();
    Ok(ok(MyJobs {
        summary: MyJobsSummary {
            posted,
            working: mine.len() - posted,
            pending_claims: open.len(),
        },
        jobs: mine,
        pending_claims: open
            .into_iter()
            .map(|a| PendingClaim {
                attempt_id: a.attempt_id,
                job_id: a.job_id,
                job_title: a.job_title,
                reward_lamports: a.reward,
                job_status: "open",
                attempted_at: iso(a.attempted_at),
            })
            .collect(),
    }))
}
