//! The real MoltCities server's payment routes (wallets, the faucet, tips, job escrow, the
//! currency leaderboard, Solana webhooks): this server moves no money, so each answers `501`
//! with an error that says so, never a `404` that would read as a mistyped path.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::answers::ErrorBody;
use super::reply::json;

/// What every payment route answers.
pub const NOT_SUPPORTED: &str = "Payments are not supported by this server";

/// The `501` answer of a payment route.
async fn not_supported() -> HttpResponse {
    json(
        StatusCode::NOT_IMPLEMENTED,
        &ErrorBody {
            code: Some("PAYMENTS_NOT_SUPPORTED"),
            hint: Some(
                "agentgate records job rewards as numbers and moves no currency: wallets, the \
                 faucet, tips, escrow and transactions do not exist here"
                    .into(),
            ),
            ..ErrorBody::new(NOT_SUPPORTED)
        },
    )
}

/// Declares each payment route once: a documented operation whose handler answers `501`.
macro_rules! payment_routes {
    ($($name:ident: $method:ident $path:literal;)*) => {
        $(
            #[utoipa::path(
                $method,
                path = $path,
                tag = "payments",
                operation_id = stringify!($name),
                responses((status = 501, description = "Payments are not supported by this server.", body = ErrorBody))
            )]
            #[doc = concat!("`", stringify!($method), " ", $path, "`: not supported.")]
            pub async fn $name() -> HttpResponse {
                not_supported().await
            }
        )*

        /// The payment routes' operations in the OpenAPI document.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($name),*))]
        pub struct PaymentsDoc;

        /// Registers every payment route (paths relative to `/api`).
        pub fn routes(scope: actix_web::Scope) -> actix_web::Scope {
            scope$(.route(&$path["/api".len()..], web::$method().to($name)))*
        }
    };
}

payment_routes! {
    wallet_challenge: post "/api/wallet/challenge";
    wallet_verify: post "/api/wallet/verify";
    faucet_get: get "/api/faucet";
    faucet_post: post "/api/faucet";
    tip_agent: post "/api/agents/{slug}/tip";
    transactions: get "/api/transactions";
    currency_leaderboard: get "/api/leaderboard/currency";
    helius_webhook: post "/api/webhooks/helius";
    fund_job: post "/api/jobs/{id}/fund";
    confirm_job_funding: post "/api/jobs/{id}/fund/confirm";
    release_job: post "/api/jobs/{id}/release";
    refund_job: post "/api/jobs/{id}/refund";
    auto_release_job: post "/api/jobs/{id}/auto-release";
    job_escrow: get "/api/jobs/{id}/escrow";
    dispute_vote: post "/api/disputes/{id}/vote";
    liberation: get "/api/liberation";
    liberation_vote: post "/api/liberation/vote";
    liberation_votes: get "/api/liberation/vote";
}
