//! Accounts: sign-up, claim, login, logout, password. Each answer is a typed struct.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::error::{WebError, WebErrors, WebFailure, WebResult};
use super::schema::{
    ChangePassword, Claim, ClaimToken, Claimable, Config, Empty, LogIn, Me, SignUp,
};
use super::session::{cleared_cookie, session_cookie, Json, PublicJson, Signed};
use crate::app::State;
use crate::core::accounts::{SignedIn, Signup, SignupRefused};

/// The answer of a new session: the human and the cookie.
fn signed_in(state: &State, status: StatusCode, s: &SignedIn) -> HttpResponse {
    HttpResponse::build(status)
        .cookie(session_cookie(&s.cookie, &state.settings.public_url))
        .insert_header(("Cache-Control", "no-store"))
        .json(Me::from(&s.human))
}

#[utoipa::path(get, path = "/web/api/config", tag = "web", operation_id = "web.accounts.config",
    responses(WebErrors, (status = 200, body = Config)))]
/// What the page needs before anyone signs in.
pub async fn config(state: State) -> HttpResponse {
    HttpResponse::Ok().json(Config {
        signup: state.core.account_settings().signup.as_str(),
        public_url: state.settings.public_url.clone(),
    })
}

#[utoipa::path(post, path = "/web/api/signup", tag = "web", operation_id = "web.accounts.sign_up", request_body = SignUp,
    responses(WebErrors, (status = 201, body = Me), (status = 409, body = WebError)))]
/// Creates an account and signs it in.
pub async fn sign_up(req: HttpRequest, state: State, body: PublicJson<SignUp>) -> WebResult {
    let b = body.0;
    let client = crate::net::client_key(&req);
    let outcome = state
        .core
        .sign_up(&b.email, b.password, &b.display_name, &client)
        .await?;
    match outcome {
        Ok(s) => Ok(signed_in(&state, StatusCode::CREATED, &s)),
        Err(SignupRefused::ClaimRequired) => Err(WebFailure::new(
            StatusCode::CONFLICT,
            "claim_required",
            "this address belongs to the owner of an agent and is waiting to be claimed: open \
             the claim link the agent gave you (an operator can print a new one with \
             `agentgate users invite EMAIL`)",
        )),
        Err(SignupRefused::EmailTaken) => Err(WebFailure::new(
            StatusCode::CONFLICT,
            "email_taken",
            "an account with this address exists: log in instead",
        )),
        Err(SignupRefused::Closed(mode)) => Err(WebFailure::new(
            StatusCode::FORBIDDEN,
            "signup_closed",
            match mode {
                Signup::Invite => "sign-up is by invitation: ask an operator for a claim link",
                _ => "sign-up is closed on this server",
            },
        )),
    }
}

#[utoipa::path(post, path = "/web/api/login", tag = "web", operation_id = "web.accounts.log_in", request_body = LogIn,
    responses(WebErrors, (status = 200, body = Me)))]
/// Checks email and password and opens a new session.
pub async fn log_in(req: HttpRequest, state: State, body: PublicJson<LogIn>) -> WebResult {
    let b = body.0;
    let client = crate::net::client_key(&req);
    match state.core.log_in(&b.email, b.password, &client).await {
        Ok(s) => Ok(signed_in(&state, StatusCode::OK, &s)),
        Err(crate::core::Error::Unauthorized(m)) => Err(WebFailure::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            m,
        )),
        Err(e) => Err(e.into()),
    }
}

fn claim_invalid(e: crate::core::Error) -> WebFailure {
    match e {
        crate::core::Error::Gone(m) => WebFailure::new(StatusCode::GONE, "claim_invalid", m),
        e => e.into(),
    }
}

#[utoipa::path(post, path = "/web/api/claim/inspect", tag = "web", operation_id = "web.accounts.inspect_claim", request_body = ClaimToken,
    responses(WebErrors, (status = 200, body = Claimable), (status = 410, body = WebError)))]
/// Whom a claim link is for.
pub async fn inspect_claim(state: State, body: PublicJson<ClaimToken>) -> WebResult {
    let user = state
        .core
        .inspect_claim(&body.0.token)
        .await
        .map_err(claim_invalid)?;
    Ok(HttpResponse::Ok().json(Claimable {
        email: user.email,
        display_name: user.display_name,
    }))
}

#[utoipa::path(post, path = "/web/api/claim", tag = "web", operation_id = "web.accounts.claim", request_body = Claim,
    responses(WebErrors, (status = 200, body = Me), (status = 410, body = WebError)))]
/// Claims an account with a one-time link and signs it in.
pub async fn claim(state: State, body: PublicJson<Claim>) -> WebResult {
    let b = body.0;
    let s = state
        .core
        .claim(&b.token, b.password, b.display_name)
        .await
        .map_err(claim_invalid)?;
    Ok(signed_in(&state, StatusCode::OK, &s))
}

#[utoipa::path(get, path = "/web/api/me", tag = "web", operation_id = "web.accounts.me",
    responses(WebErrors, (status = 200, body = Me)), security(("session" = [])))]
/// The signed-in human.
pub async fn me(signed: Signed) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Me::from(&signed.0.human))
}

#[utoipa::path(post, path = "/web/api/logout", tag = "web", operation_id = "web.accounts.log_out", request_body = Empty,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Ends this session.
pub async fn log_out(state: State, signed: Signed) -> WebResult {
    state.core.log_out(&signed.0).await?;
    Ok(HttpResponse::NoContent()
        .cookie(cleared_cookie(&state.settings.public_url))
        .finish())
}

#[utoipa::path(post, path = "/web/api/logout-all", tag = "web", operation_id = "web.accounts.log_out_everywhere", request_body = Empty,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Ends every session of the account, this one too.
pub async fn log_out_everywhere(state: State, signed: Signed) -> WebResult {
    state
        .core
        .end_sessions(&signed.0.human.user.id, None)
        .await?;
    Ok(HttpResponse::NoContent()
        .cookie(cleared_cookie(&state.settings.public_url))
        .finish())
}

#[utoipa::path(post, path = "/web/api/password", tag = "web", operation_id = "web.accounts.change_password", request_body = ChangePassword,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Changes the password; every other session ends.
pub async fn change_password(
    req: HttpRequest,
    state: State,
    signed: Signed,
    body: Json<ChangePassword>,
) -> WebResult {
    let b = body.0;
    let client = crate::net::client_key(&req);
    match state
        .core
        .change_password(&signed.0, b.current, b.password, &client)
        .await
    {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        // Not 401: the session is fine, only the field is wrong.
        Err(crate::core::Error::Unauthorized(m)) => {
            Err(crate::core::Error::invalid("current", m).into())
        }
        Err(e) => Err(e.into()),
    }
}
