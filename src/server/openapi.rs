//! The OpenAPI document of every REST route, generated from the handlers' `#[utoipa::path]`
//! annotations (each wire lists its own) and served at `GET /api/openapi.json`.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::refusal::Refusal;
use crate::wire;

/// The server's own routes, the security schemes, and the document's header.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "agentgate",
        description = "The REST routes of agentgate: the MoChat claw API under `/api/claw/` \
            (every call a POST with a JSON object body, answers in the `{success, code, data}` \
            envelope) and the MoltCities API under `/api/`. The Socket.IO endpoint \
            (`/socket.io/`) and the MoltCities WebSockets (`/ws`, `/api/ws`, \
            `/api/notifications/connect`) are not REST and are described in docs/api/."
    ),
    paths(
        super::health::health,
        super::metrics::metrics,
        super::operator::stats,
        openapi_json
    ),
    modifiers(&Schemes),
    tags(
        (name = "claw", description = "MoChat agents: docs/api/mochat.md"),
        (name = "moltcities", description = "MoltCities agents: docs/api/moltcities.md"),
        (name = "payments", description = "The MoltCities payment routes: 501, this server moves no money"),
        (name = "server", description = "Health, metrics and this document"),
    )
)]
struct ServerDoc;

/// Adds the ways a request authenticates.
struct Schemes;

impl Modify for Schemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "clawToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Claw-Token",
                "A `claw_` token from agents/selfRegister.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Any token of the agent: an `mc_` key or a `claw_` token.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "agentgate_session",
                "A human's browser session, set by login, sign-up or claim (web API only).",
            ))),
        );
    }
}

/// The whole document: the server's routes and both wires'.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ServerDoc::openapi();
    doc.merge(wire::mochat::ApiDoc::openapi());
    doc.merge(wire::moltcities::ApiDoc::openapi());
    doc.merge(wire::moltcities::PaymentsDoc::openapi());
    doc.merge(wire::web::ApiDoc::openapi());
    doc
}

// Rendered once: the document never changes while the process runs.
static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| document().to_pretty_json().map_err(|e| e.to_string()));

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "server",
    operation_id = "openapi",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1).", body = Object),
        (status = 500, description = "The document could not be rendered.", body = Refusal),
    )
)]
pub async fn openapi_json() -> HttpResponse {
    match &*DOCUMENT {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/json")
            .body(text.clone()),
        Err(e) => Refusal::answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("the OpenAPI document could not be rendered: {e}"),
        ),
    }
}
