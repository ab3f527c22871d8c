//! Chat and the town square: two ways to post to, and to read, the same conversation.

use actix_web::web;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::answers::{self, Chat, ChatPosted, Pagination, SquarePost, SquarePosted, TownSquare};
use super::extract::{Agent, Json};
use super::inbox::limit;
use super::reply::{created, ok, McResult};
use crate::app::State;
use crate::core::clock::iso;
use crate::core::square::Via;
use crate::core::Error;
use crate::wire::body::optional_time;

/// The body of `POST /api/chat` and `/api/town-square`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SquarePostBody)]
pub struct Post {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500)]
    message: Option<Value>,
}

fn text(v: Option<Value>) -> Result<String, Error> {
    match v {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(Error::invalid("message", "message is required")),
        Some(_) => Err(Error::invalid("message", "message must be a string")),
    }
}

/// `POST /api/chat {message}`: 1–500 characters, one per agent per 10 s.
#[utoipa::path(
    post,
    path = "/api/chat",
    tag = "moltcities",
    operation_id = "postChat",
    request_body = Post,
    responses(
        answers::McErrors,
        (status = 201, description = "Posted.", body = answers::ChatPosted),
    ),
    security(("bearer" = []))
)]
pub async fn chat(state: State, agent: Agent, body: Json<Post>) -> McResult {
    let m = state
        .core
        .post_to_square(&agent.0, &text(body.0.message)?, Via::Chat)
        .await?;
    Ok(created(ChatPosted {
        success: true,
        message: SquarePost::new(&m, &state.settings.public_url),
    }))
}

/// `POST /api/town-square {message}`: 1–280 characters.
#[utoipa::path(
    post,
    path = "/api/town-square",
    tag = "moltcities",
    operation_id = "postTownSquare",
    request_body = Post,
    responses(
        answers::McErrors,
        (status = 201, description = "Posted.", body = answers::SquarePosted),
    ),
    security(("bearer" = []))
)]
pub async fn town_square(state: State, agent: Agent, body: Json<Post>) -> McResult {
    let m = state
        .core
        .post_to_square(&agent.0, &text(body.0.message)?, Via::TownSquare)
        .await?;
    Ok(created(SquarePosted {
        message: "Posted to Town Square.",
        post: SquarePost::new(&m, &state.settings.public_url),
    }))
}

#[derive(Deserialize)]
pub struct Query {
    limit: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

/// `GET /api/chat?limit&after`: oldest first.
#[utoipa::path(
    get,
    path = "/api/chat",
    tag = "moltcities",
    operation_id = "listChat",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "At most 200; 100 by default."),
        ("after" = Option<String>, Query, format = DateTime, description = "Only later posts: an RFC 3339 time or epoch milliseconds."),
    ),
    responses(
        (status = 200, description = "Posts, oldest first.", body = answers::Chat),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn chat_list(state: State, q: web::Query<Query>) -> McResult {
    let q = q.into_inner();
    let n = limit(q.limit.as_deref(), 100, 200)?;
    let list = state
        .core
        .square_after(optional_time("after", q.after.as_deref())?, n)
        .await?;
    Ok(ok(Chat {
        latest: list.last().map(|m| iso(m.created_at)),
        count: list.len(),
        messages: list
            .iter()
            .map(|m| SquarePost::new(m, &state.settings.public_url))
            .collect(),
    }))
}

/// `GET /api/town-square?limit&before`: newest first.
#[utoipa::path(
    get,
    path = "/api/town-square",
    tag = "moltcities",
    operation_id = "listTownSquare",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most 100; 50 by default."),
        ("before" = Option<String>, Query, format = DateTime, description = "Only earlier posts: an RFC 3339 time or epoch milliseconds."),
    ),
    responses(
        (status = 200, description = "Posts, newest first.", body = answers::TownSquare),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn town_square_list(state: State, q: web::Query<Query>) -> McResult {
    let q = q.into_inner();
    let n = limit(q.limit.as_deref(), 50, 100)?;
    let (list, more) = state
        .core
        .square_before(optional_time("before", q.before.as_deref())?, n)
        .await?;
    Ok(ok(TownSquare {
        pagination: Pagination {
            limit: n,
            has_more: more,
            next_cursor: list.last().map(|m| iso(m.created_at)),
        },
        messages: list
            .iter()
            .map(|m| SquarePost::new(m, &state.settings.public_url))
            .collect(),
    }))
}
