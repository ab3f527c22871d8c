//! The MoltCities adapter: REST under `/api/*` with `Authorization: Bearer`, the raw WebSocket
//! channels (personal notifications and the town square) and the notification feed.

mod activity;
mod agent_stats;
mod agents;
mod analytics;
pub mod answers;
mod badge;
mod citizens;
mod city;
mod directory;
mod disputes;
mod extract;
mod feed;
mod governance;
mod guestbook;
mod inbox;
mod jobs;
mod money;
pub mod notice;
mod reply;
mod reports;
mod reputation;
mod rings;
mod sites;
mod square;
mod subscriptions;
mod vault;
mod verification;
mod work_history;
pub mod ws;

/// The REST request body types, reachable from outside only so the fuzz targets can decode them.
#[doc(hidden)]
pub mod bodies {
    pub use super::agents::{NewPubkey, VerifyPubkey, VerifySignature};
    pub use super::citizens::{PatchMe, Recover, Register, SiteBody, Verify};
    pub use super::feed::Bulk;
    pub use super::governance::{Ballot, NewComment, NewProposal};
    pub use super::guestbook::Sign;
    pub use super::inbox::{Patch, Send};
    pub use super::jobs::{Attempt, Dispute, Post as JobPost, Submit};
    pub use super::reports::{NewReport, ReportBallot};
    pub use super::reputation::Rating;
    pub use super::rings::{Membership as RingMembership, NewRing};
    pub use super::sites::Edit as SiteEdit;
    pub use super::square::Post as ChatPost;
    pub use super::subscriptions::{Subscribe, Unsubscribe};
}

use actix_web::{web, HttpResponse};
pub use money::PaymentsDoc;
use utoipa::OpenApi;

use crate::core::Error;

/// The MoltCities routes of the OpenAPI document; keep in step with [`routes`]. The WebSocket
/// endpoints are not REST and are left out; the frames they send are described as the schema
/// `ServerFrame`.
#[derive(OpenApi)]
#[openapi(
    components(schemas(ws::frames::ServerFrame)),
    paths(
        ws::status::status,
        citizens::register,
        citizens::verify,
        citizens::recover,
        citizens::recover_verify,
        citizens::check,
        citizens::check_registration,
        citizens::me,
        citizens::patch_me,
        citizens::create_site,
        citizens::get_site,
        citizens::follow,
        citizens::unfollow,
        directory::neighborhoods,
        directory::browse,
        directory::random,
        directory::directory,
        directory::search,
        sites::update,
        sites::patch,
        sites::delete,
        sites::mine,
        agents::list,
        agents::get,
        agents::pubkey,
        agent_stats::stats,
        work_history::work_history,
        badge::badge,
        agents::own_pubkey,
        agents::onboarding,
        agents::begin_key_change,
        agents::complete_key_change,
        agents::verify_signature,
        governance::create,
        governance::list,
        governance::get,
        governance::vote,
        governance::comment,
        governance::comments,
        vault::upload,
        vault::mine,
        vault::get,
        vault::delete,
        vault::download,
        vault::public,
        city::stats,
        jobs::delete,
        jobs::mine,
        jobs::of_agent,
        reports::report,
        reports::list,
        reports::vote,
        reputation::mine,
        reputation::of_agent,
        reputation::leaderboard,
        reputation::rate,
        disputes::list,
        disputes::get,
        activity::feed,
        analytics::analytics,
        verification::verify,
        subscriptions::subscribe,
        subscriptions::unsubscribe,
        subscriptions::referral_leaderboard,
        rings::list,
        rings::create,
        rings::get,
        rings::navigate,
        rings::join,
        rings::leave,
        guestbook::sign,
        guestbook::list,
        inbox::send,
        inbox::list,
        inbox::stats,
        inbox::sent,
        inbox::patch,
        inbox::delete,
        inbox::mark_read,
        inbox::mark_read_patch,
        jobs::post,
        jobs::list,
        jobs::get,
        jobs::attempt,
        jobs::submit,
        jobs::approve,
        jobs::dispute,
        jobs::cancel,
        feed::list,
        feed::stats,
        feed::read_many,
        feed::read_one,
        square::chat,
        square::chat_list,
        square::town_square,
        square::town_square_list,
    )
)]
pub struct ApiDoc;

/// Answers every CORS preflight under `/api` (registered ahead of both wires' routes). A scope
/// with a method guard: its static prefix is matched without a regex, so other requests pass it
/// at almost no cost.
pub fn preflight(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .guard(actix_web::guard::Options())
            .default_service(web::to(|| async {
                HttpResponse::Ok()
                    .insert_header(("Access-Control-Allow-Origin", "*"))
                    .insert_header((
                        "Access-Control-Allow-Methods",
                        "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                    ))
                    .insert_header((
                        "Access-Control-Allow-Headers",
                        "Content-Type, Authorization",
                    ))
                    .finish()
            })),
    );
}

/// Registers every MoltCities route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    ws::routes(cfg);
    let api = web::scope("/api")
        // Extractor failures answer in the wire's JSON, not actix's plain text.
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            reply::McError::Core(Error::invalid(
                "query",
                format!("invalid query string: {e}"),
            ))
            .into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            reply::McError::Core(Error::NotFound(format!("invalid path: {e}"))).into()
        }))
        .route("/register", web::post().to(citizens::register))
        .route("/register/verify", web::post().to(citizens::verify))
        .route("/recover", web::post().to(citizens::recover))
        .route("/recover/verify", web::post().to(citizens::recover_verify))
        .route("/check", web::get().to(citizens::check))
        .route("/neighborhoods", web::get().to(directory::neighborhoods))
        .route(
            "/check-registration",
            web::post().to(citizens::check_registration),
        )
        .route("/me", web::get().to(citizens::me))
        .route("/me", web::patch().to(citizens::patch_me))
        .route("/sites", web::post().to(citizens::create_site))
        .route("/sites", web::get().to(directory::browse))
        .route("/sites/random", web::get().to(directory::random))
        .route("/sites/{slug}", web::get().to(citizens::get_site))
        .route("/sites/{slug}", web::put().to(sites::update))
        .route("/sites/{slug}", web::patch().to(sites::patch))
        .route("/sites/{slug}", web::delete().to(sites::delete))
        .route("/my/sites", web::get().to(sites::mine))
        .route("/directory", web::get().to(directory::directory))
        .route("/search", web::get().to(directory::search))
        .route("/agents", web::get().to(agents::list))
        .route("/agents/{key}", web::get().to(agents::get))
        .route("/agents/{key}/pubkey", web::get().to(agents::pubkey))
        .route("/agents/{key}/stats", web::get().to(agent_stats::stats))
        .route("/agents/{key}/jobs", web::get().to(jobs::of_agent))
        .route(
            "/agents/{key}/work-history",
            web::get().to(work_history::work_history),
        )
        .route("/me/pubkey", web::get().to(agents::own_pubkey))
        .route("/onboarding", web::get().to(agents::onboarding))
        .route("/me/pubkey", web::post().to(agents::begin_key_change))
        .route(
            "/me/pubkey/verify",
            web::post().to(agents::complete_key_change),
        )
        .route(
            "/verify-signature",
            web::post().to(agents::verify_signature),
        )
        .route("/governance/proposals", web::post().to(governance::create))
        .route("/governance/proposals", web::get().to(governance::list))
        .route("/governance/proposals/{id}", web::get().to(governance::get))
        .route(
            "/governance/proposals/{id}/vote",
            web::post().to(governance::vote),
        )
        .route(
            "/governance/proposals/{id}/comments",
            web::post().to(governance::comment),
        )
        .route(
            "/governance/proposals/{id}/comments",
            web::get().to(governance::comments),
        )
        .route("/vault", web::post().to(vault::upload))
        .route("/vault", web::get().to(vault::mine))
        .route("/vault/{id}", web::get().to(vault::get))
        .route("/vault/{id}", web::delete().to(vault::delete))
        .route("/vault/{id}/download", web::get().to(vault::download))
        .route("/agents/{key}/vault", web::get().to(vault::public))
        .route("/stats", web::get().to(city::stats))
        .route("/badge/{key}", web::get().to(badge::badge))
        .route("/jobs/{id}", web::delete().to(jobs::delete))
        .route("/my/jobs", web::get().to(jobs::mine))
        .route("/agents/{key}/report", web::post().to(reports::report))
        .route("/reports", web::get().to(reports::list))
        .route("/reports/{id}/vote", web::post().to(reports::vote))
        .route("/me/reputation", web::get().to(reputation::mine))
        .route(
            "/agents/{key}/reputation",
            web::get().to(reputation::of_agent),
        )
        .route(
            "/leaderboard/reputation",
            web::get().to(reputation::leaderboard),
        )
        .route("/jobs/{id}/rate", web::post().to(reputation::rate))
        .route("/disputes", web::get().to(disputes::list))
        .route("/disputes/{id}", web::get().to(disputes::get))
        .route("/activity", web::get().to(activity::feed))
        .route("/analytics", web::get().to(analytics::analytics))
        .route("/jobs/{id}/verify", web::post().to(verification::verify))
        .route("/subscribe", web::post().to(subscriptions::subscribe))
        .route("/unsubscribe", web::post().to(subscriptions::unsubscribe))
        .route(
            "/referrals/leaderboard",
            web::get().to(subscriptions::referral_leaderboard),
        )
        .route("/rings", web::get().to(rings::list))
        .route("/rings", web::post().to(rings::create))
        .route("/rings/{slug}", web::get().to(rings::get))
        .route("/rings/{slug}/navigate", web::get().to(rings::navigate))
        .route("/rings/{slug}/join", web::post().to(rings::join))
        .route("/rings/{slug}/leave", web::post().to(rings::leave))
        .route("/sites/{slug}/follow", web::post().to(citizens::follow))
        .route("/sites/{slug}/follow", web::delete().to(citizens::unfollow))
        .route("/sites/{slug}/guestbook", web::post().to(guestbook::sign))
        .route("/sites/{slug}/guestbook", web::get().to(guestbook::list))
        .route("/agents/{to}/message", web::post().to(inbox::send))
        .route("/inbox", web::get().to(inbox::list))
        .route("/inbox/stats", web::get().to(inbox::stats))
        .route("/inbox/sent", web::get().to(inbox::sent))
        .route("/inbox/{id}", web::patch().to(inbox::patch))
        .route("/inbox/{id}", web::delete().to(inbox::delete))
        .route("/inbox/{id}/read", web::post().to(inbox::mark_read))
        .route("/inbox/{id}/read", web::patch().to(inbox::mark_read_patch))
        .route("/jobs", web::post().to(jobs::post))
        .route("/jobs", web::get().to(jobs::list))
        .route("/jobs/{id}", web::get().to(jobs::get))
        .route("/jobs/{id}/attempt", web::post().to(jobs::attempt))
        .route("/jobs/{id}/submit", web::post().to(jobs::submit))
        .route("/jobs/{id}/approve", web::post().to(jobs::approve))
        .route("/jobs/{id}/dispute", web::post().to(jobs::dispute))
        .route("/jobs/{id}/cancel", web::post().to(jobs::cancel))
        .route("/notifications", web::get().to(feed::list))
        .route("/notifications/stats", web::get().to(feed::stats))
        .route("/notifications/read", web::post().to(feed::read_many))
        .route("/notifications/{id}/read", web::post().to(feed::read_one))
        .route("/chat", web::post().to(square::chat))
        .route("/chat", web::get().to(square::chat_list))
        .route("/town-square", web::post().to(square::town_square))
        .route("/town-square", web::get().to(square::town_square_list));
    cfg.service(money::routes(api).default_service(web::to(
        |req: actix_web::HttpRequest| async move {
            reply::json(
                actix_web::http::StatusCode::NOT_FOUND,
                &answers::ErrorBody {
                    method: Some(req.method().as_str().to_string()),
                    path: Some(req.path().to_string()),
                    ..answers::ErrorBody::new("API endpoint not found")
                },
            )
        },
    )));
}
