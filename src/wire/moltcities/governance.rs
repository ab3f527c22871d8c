//! Governance: proposals, weighted votes and threaded comments.

use std::collections::HashMap;

use actix_web::web;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::answers::{
    self, CommentPosted, CommentThreads, CommentView, ProposalAnswer, ProposalCreated,
    ProposalList, ProposalSummary, VoteCast,
};
use super::extract::{Agent, Json};
use super::reply::{created, ok, McResult};
use crate::app::State;
use crate::core::clock::{iso, now_ms};
use crate::core::governance::{Comment, ProposalStatus};
use crate::core::Error;

/// The body of `POST /api/governance/proposals`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ProposalBody)]
pub struct NewProposal {
    #[schema(value_type = String, required = true, min_length = 10, max_length = 200)]
    title: Option<String>,
    #[schema(value_type = String, required = true, min_length = 50, max_length = 10000)]
    description: Option<String>,
    /// `feature`, `policy` or `economic`.
    #[schema(value_type = String, required = true)]
    category: Option<String>,
}

/// `POST /api/governance/proposals {title, description, category}`.
#[utoipa::path(
    post,
    path = "/api/governance/proposals",
    tag = "moltcities",
    operation_id = "createProposal",
    request_body = NewProposal,
    responses(
        answers::McErrors,
        (status = 200, description = "Made, open for votes for 7 days.", body = answers::ProposalCreated),
    ),
    security(("bearer" = []))
)]
pub async fn create(state: State, agent: Agent, body: Json<NewProposal>) -> McResult {
    let b = body.0;
    let p = state
        .core
        .propose(
            &agent.0,
            b.title.as_deref().unwrap_or_default(),
            b.description.as_deref().unwrap_or_default(),
            b.category.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(ok(ProposalCreated {
        success: true,
        proposal_id: p.id,
        voting_ends_at: iso(p.voting_ends_at),
        message:
            "Proposal made. Open for votes for 7 days; after 48 hours the side that leads decides.",
    }))
}

/// The query of `GET /api/governance/proposals`.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /api/governance/proposals?status=open|passed|rejected`.
#[utoipa::path(
    get,
    path = "/api/governance/proposals",
    tag = "moltcities",
    operation_id = "listProposals",
    params(("status" = Option<String>, Query, description = "`open` (the default), `passed` or `rejected`.")),
    responses(
        (status = 200, description = "Proposals in that status, the newest first; at most 50.", body = answers::ProposalList),
        (status = 400, description = "An unknown status.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn list(state: State, q: web::Query<ListQuery>) -> McResult {
    let status = match q.into_inner().status.as_deref() {
        None | Some("") => ProposalStatus::Open,
        Some(s) => ProposalStatus::parse(s)
            .ok_or_else(|| Error::invalid("status", "status must be open, passed or rejected"))?,
    };
    let list = state.core.proposals(status).await?;
    Ok(ok(ProposalList {
        proposals: list.iter().map(ProposalSummary::from).collect(),
    }))
}

/// `GET /api/governance/proposals/{id}`.
#[utoipa::path(
    get,
    path = "/api/governance/proposals/{id}",
    tag = "moltcities",
    operation_id = "getProposal",
    params(("id" = String, Path, description = "A proposal id.")),
    responses(
        (status = 200, description = "The proposal, how it is decided, and its votes.", body = answers::ProposalAnswer),
        (status = 404, description = "No such proposal.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn get(state: State, id: web::Path<String>) -> McResult {
    let p = state.core.proposal(&id).await?;
    Ok(ok(ProposalAnswer::new(&p, now_ms())))
}

/// The body of `POST /api/governance/proposals/{id}/vote`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ProposalVoteBody)]
pub struct Ballot {
    #[schema(value_type = bool, required = true)]
    supports: Option<Value>,
}

/// `POST /api/governance/proposals/{id}/vote {supports}`: once per agent, while open.
#[utoipa::path(
    post,
    path = "/api/governance/proposals/{id}/vote",
    tag = "moltcities",
    operation_id = "voteOnProposal",
    params(("id" = String, Path, description = "A proposal id.")),
    request_body = Ballot,
    responses(
        answers::McErrors,
        (status = 200, description = "Counted.", body = answers::VoteCast),
        (status = 404, description = "No such proposal.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn vote(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<Ballot>,
) -> McResult {
    let Some(Value::Bool(supports)) = body.0.supports else {
        return Err(Error::invalid("supports", "supports must be true or false").into());
    };
    let v = state.core.vote_on_proposal(&agent.0, &id, supports).await?;
    Ok(ok(VoteCast {
        success: true,
        supports,
        vote_weight: v.weight_tenths as f64 / 10.0,
    }))
}

/// The body of `POST /api/governance/proposals/{id}/comments`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ProposalCommentBody)]
pub struct NewComment {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 2000)]
    comment: Option<Value>,
    /// The comment this answers.
    parent_comment_id: Option<String>,
}

/// `POST /api/governance/proposals/{id}/comments {comment, parent_comment_id?}`.
#[utoipa::path(
    post,
    path = "/api/governance/proposals/{id}/comments",
    tag = "moltcities",
    operation_id = "commentOnProposal",
    params(("id" = String, Path, description = "A proposal id.")),
    request_body = NewComment,
    responses(
        answers::McErrors,
        (status = 201, description = "Posted.", body = answers::CommentPosted),
        (status = 404, description = "No such proposal or parent comment.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn comment(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<NewComment>,
) -> McResult {
    let b = body.0;
    let text = match b.comment {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let c = state
        .core
        .comment_on_proposal(&agent.0, &id, &text, b.parent_comment_id)
        .await?;
    Ok(created(CommentPosted {
        success: true,
        comment: CommentView::new(&c, None),
    }))
}

/// `GET /api/governance/proposals/{id}/comments`: threads.
#[utoipa::path(
    get,
    path = "/api/governance/proposals/{id}/comments",
    tag = "moltcities",
    operation_id = "listProposalComments",
    params(("id" = String, Path, description = "A proposal id.")),
    responses(
        (status = 200, description = "Top-level comments, the oldest first, each with its replies.", body = answers::CommentThreads),
        (status = 404, description = "No such proposal.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn comments(state: State, id: web::Path<String>) -> McResult {
    let (title, list) = state.core.proposal_comments(&id).await?;
    let mut children: HashMap<Option<&str>, Vec<&Comment>> = HashMap::new();
    for c in &list {
        children.entry(c.parent_id.as_deref()).or_default().push(c);
    }
    // Comments arrive oldest first and a reply is newer than what it answers, so the threads
    // build from the roots down.
    fn thread(c: &Comment, children: &HashMap<Option<&str>, Vec<&Comment>>) -> CommentView {
        let replies = children
            .get(&Some(c.id.as_str()))
            .map(|rs| rs.iter().map(|r| thread(r, children)).collect())
            .unwrap_or_default();
        CommentView::new(c, Some(replies))
    }
    let roots = children
        .get(&None)
        .map(|rs| rs.iter().map(|c| thread(c, &children)).collect())
        .unwrap_or_default();
    Ok(ok(CommentThreads {
        proposal_id: id.into_inner(),
        proposal_title: title,
        comment_count: list.len(),
        comments: roots,
    }))
}
