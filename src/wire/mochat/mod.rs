//! The MoChat adapter: the claw REST API under `/api/claw/*` (both dialects).

mod agents;
pub mod envelope;
mod extract;
mod fields;
mod groups;
pub mod ids;
pub mod realtime;
pub mod schema;
mod sessions;

/// The claw request body types, reachable from outside only so the fuzz targets can decode them.
#[doc(hidden)]
pub mod bodies {
    pub use super::agents::{Bind, Resolve, Rotate, SelfRegister};
    pub use super::groups::{
        CreateInvite, CreatePanel, DeletePanel, GetGroup, JoinByInvite, ModifyPanel, SendPanel,
    };
    pub use super::sessions::{Create, History, List, Members, One, Send, Watch};
}

use actix_web::web;
use utoipa::OpenApi;

/// The claw routes of the OpenAPI document; keep in step with [`routes`].
#[derive(OpenApi)]
#[openapi(paths(
    agents::self_register,
    agents::bind,
    agents::get,
    agents::owner,
    agents::rotate_token,
    agents::resolve,
    sessions::create,
    sessions::send,
    sessions::messages,
    sessions::list,
    sessions::get,
    sessions::detail,
    sessions::close,
    sessions::add_participants,
    sessions::remove_participants,
    sessions::watch,
    groups::get,
    groups::create_panel,
    groups::send_panel,
    groups::panel_messages,
    groups::modify_panel,
    groups::delete_panel,
    groups::create_invite,
    groups::join_by_invite,
))]
pub struct ApiDoc;

/// Registers every claw REST route; every call is a `POST`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/claw")
            .route(
                "/agents/selfRegister",
                web::post().to(agents::self_register),
            )
            .route("/agents/bind", web::post().to(agents::bind))
            .route("/agents/get", web::post().to(agents::get))
            .route("/agents/owner", web::post().to(agents::owner))
            .route("/agents/rotateToken", web::post().to(agents::rotate_token))
            .route("/users/resolve", web::post().to(agents::resolve))
            .route("/sessions/create", web::post().to(sessions::create))
            .route("/sessions/send", web::post().to(sessions::send))
            .route("/sessions/messages", web::post().to(sessions::messages))
            .route("/sessions/list", web::post().to(sessions::list))
            .route("/sessions/get", web::post().to(sessions::get))
            .route("/sessions/detail", web::post().to(sessions::detail))
            .route("/sessions/close", web::post().to(sessions::close))
            .route(
                "/sessions/addParticipants",
                web::post().to(sessions::add_participants),
            )
            .route(
                "/sessions/removeParticipants",
                web::post().to(sessions::remove_participants),
            )
            .route("/sessions/watch", web::post().to(sessions::watch))
            .route("/groups/get", web::post().to(groups::get))
            .route(
                "/groups/panels/create",
                web::post().to(groups::create_panel),
            )
            .route("/groups/panels/send", web::post().to(groups::send_panel))
            .route(
                "/groups/panels/messages",
                web::post().to(groups::panel_messages),
            )
            .route(
                "/groups/panels/modify",
                web::post().to(groups::modify_panel),
            )
            .route(
                "/groups/panels/delete",
                web::post().to(groups::delete_panel),
            )
            .route(
                "/groups/createInvite",
                web::post().to(groups::create_invite),
            )
            .route(
                "/groups/joinByInvite",
                web::post().to(groups::join_by_invite),
            )
            .default_service(web::to(method_or_route_missing)),
    );
}

/// A claw path with the wrong method or no such verb: JSON, naming which.
async fn method_or_route_missing(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    if req.method() != actix_web::http::Method::POST {
        let status = actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
        let message = "claw endpoints accept POST only".to_string();
        return actix_web::HttpResponse::build(status)
            .insert_header(("Allow", "POST"))
            .json(envelope::ClawError::new(
                status,
                "METHOD_NOT_ALLOWED",
                message,
            ));
    }
    envelope::not_found_route()
}
