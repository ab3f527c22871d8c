//! `GET /web/live`: the browser's live channel, a WebSocket authenticated by the session
//! cookie. It carries new messages of every conversation the human sees; the page catches up
//! over REST after `ready` (the subscription exists before that read, so nothing falls between
//! them, and the page drops what it already has by seq).
//!
//! A WebSocket rather than server-sent events: an HTTP/1.1 browser keeps at most six
//! connections per server, and an event stream holds one of them in every open tab; and this
//! server's own WebSocket layer keeps no buffer while a socket is idle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use tokio::sync::Notify;

use super::error::WebFailure;
use super::schema::{LiveEvent, WebMessage};
use super::session::{check_same_origin, COOKIE};
use crate::app::State;
use crate::core::events::{Audience, Event};
use crate::core::model::Message;
use crate::hub::{Inbox, Registration, Topic};
use crate::websocket::{self, CloseFrame, Reader, Writer};

/// Close codes of the live channel.
pub mod code {
    /// The session ended (logout, password change, expiry): sign in again.
    pub const SESSION_ENDED: u16 = 4401;
    /// The page did not read its events fast enough.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
}

/// The largest frame a page may send (it only sends pings).
const MAX_INBOUND: usize = 4096;
/// A page that does not take a frame for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an open socket checks that its session still holds (expiry).
const SESSION_CHECK: Duration = Duration::from_secs(60);
/// A page that sends nothing (it pings every 25 s) for this long is gone.
const IDLE: Duration = Duration::from_secs(90);

static OPEN: AtomicUsize = AtomicUsize::new(0);
static STOPPING: Notify = Notify::const_new();

/// Live browser sockets now.
pub fn open() -> usize {
    OPEN.load(Ordering::Relaxed)
}

/// Closes every live browser socket with 1001 (shutdown).
pub fn shut_down() {
    STOPPING.notify_waiters();
}

struct Counted;

impl Counted {
    fn new() -> Counted {
        OPEN.fetch_add(1, Ordering::Relaxed);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

fn refuse(status: StatusCode, code: &'static str, message: &str) -> HttpResponse {
    actix_web::ResponseError::error_response(&WebFailure::new(status, code, message))
}

/// Accepts the upgrade of a signed-in, same-origin page.
pub async fn connect(req: HttpRequest, state: State) -> HttpResponse {
    let wants = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !wants {
        return refuse(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "the live channel is a WebSocket",
        );
    }
    // Cookies ride along on cross-site WebSocket handshakes too: only our own pages may open one.
    if let Err(e) = check_same_origin(&req, &state.settings.public_url) {
        return actix_web::ResponseError::error_response(&e);
    }
    let Some(cookie) = req.cookie(COOKIE).map(|c| c.value().to_string()) else {
        return refuse(StatusCode::UNAUTHORIZED, "unauthenticated", "not signed in");
    };
    let session = match state.core.web_session(&cookie).await {
        Ok(s) => s,
        Err(e) => return actix_web::ResponseError::error_response(&WebFailure::from(e)),
    };
    let user = session.human.user;
    let groups = match state.core.groups_of(&user.id).await {
        Ok(g) => g,
        Err(e) => return actix_web::ResponseError::error_response(&WebFailure::from(e)),
    };
    let (res, pending) = match websocket::accept(&req) {
        Ok(t) => t,
        Err(e) => return refuse(e.status(), "bad_handshake", e.message()),
    };
    let (registration, events) = state
        .core
        .hub()
        .register(state.settings.outbound_queue, Some(user.id.to_string()));
    registration.subscribe(Topic::User(user.id.to_string()));
    for g in &groups {
        registration.subscribe(Topic::Group(g.clone()));
    }
    let live = Live {
        state: state.clone(),
        user_id: user.id.to_string(),
        groups,
        digest: session.digest,
        cookie,
    };
    actix_web::rt::spawn(async move {
        let Some(ws) = pending.socket().await else {
            return;
        };
        let (reader, writer) = ws.split(MAX_INBOUND);
        actix_web::rt::spawn(run(live, reader, writer, events, registration));
    });
    res
}

/// One open page.
struct Live {
    state: State,
    user_id: String,
    groups: Vec<String>,
    digest: String,
    cookie: String,
}

impl Live {
    /// The frame for an event, or `None` when the page has no use for it.
    async fn render(&self, event: &Event) -> Option<LiveEvent> {
        match event {
            Event::MessagePosted { message, audience } => {
                let mine = match audience {
                    Audience::Users(list) => list.iter().any(|u| *u == self.user_id),
                    Audience::Group(g) => self.groups.contains(g),
                };
                mine.then_some(())?;
                Some(LiveEvent::Message {
                    message: Box::new(self.message(message).await),
                })
            }
            Event::ConversationJoined {
                conversation,
                users,
            } if users.contains(&self.user_id) => Some(LiveEvent::Conversation {
                conversation_id: conversation.id.to_string(),
            }),
            _ => None,
        }
    }

    async fn message(&self, m: &Message) -> WebMessage {
        // A reply shows what it answers; if that read fails the message still goes out.
        let quoted = self.state.core.quoted(m).await.ok().flatten();
        WebMessage::of(m, quoted.as_ref(), self.state.core.hub())
    }

    /// Whether the event ends this page's session.
    fn ends_session(&self, event: &Event) -> bool {
        matches!(event, Event::CredentialsRevoked { user_id, digests }
            if *user_id == self.user_id && digests.contains(&self.digest))
    }
}

/// Whether a page's frame is `{"type":"ping"}`; anything else it sends is ignored.
fn is_ping(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Frame<'a> {
        #[serde(rename = "type", borrow)]
        kind: &'a str,
    }
    serde_json::from_str::<Frame>(text).is_ok_and(|f| f.kind == "ping")
}

async fn send(writer: &Writer, frame: &LiveEvent) -> bool {
    let Ok(text) = serde_json::to_string(frame) else {
        return false;
    };
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, writer.text(&text)).await,
        Ok(Ok(()))
    )
}

async fn close(writer: &Writer, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, writer.close(Some(frame))).await;
}

/// Runs one page's socket until it closes.
async fn run(
    live: Live,
    mut reader: Reader,
    writer: Writer,
    mut events: Inbox<Event>,
    registration: Registration<Event>,
) {
    let _counted = Counted::new();
    let _registration = Arc::new(registration);
    if !send(&writer, &LiveEvent::Ready).await {
        return;
    }
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.tick().await;
    let mut last_inbound = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = STOPPING.notified() => {
                close(&writer, code::GOING_AWAY, "server shutting down").await;
                break;
            }
            msg = reader.recv() => {
                last_inbound = tokio::time::Instant::now();
                match msg {
                    None => break,
                    Some(Err(e)) => {
                        if let Some(frame) = e.close_frame() {
                            let _ = tokio::time::timeout(WRITE_TIMEOUT, writer.close(Some(frame))).await;
                        }
                        break;
                    }
                    Some(Ok(websocket::Message::Text(t))) => {
                        if is_ping(&t) && !send(&writer, &LiveEvent::Pong).await {
                            break;
                        }
                    }
                    Some(Ok(websocket::Message::Ping(p))) => {
                        let _ = writer.pong(&p).await;
                    }
                    Some(Ok(websocket::Message::Close(reason))) => {
                        let reply = CloseFrame::reply_to(reason.as_ref());
                        let _ = tokio::time::timeout(WRITE_TIMEOUT, writer.close(reply)).await;
                        break;
                    }
                    Some(Ok(_)) => {}
                }
            }
            ev = events.recv() => match ev {
                None => {
                    close(&writer, code::SLOW_CONSUMER, "too slow: reconnect and catch up").await;
                    break;
                }
                Some(ev) if live.ends_session(&ev) => {
                    close(&writer, code::SESSION_ENDED, "the session ended").await;
                    break;
                }
                Some(ev) => {
                    if let Some(frame) = live.render(&ev).await {
                        if !send(&writer, &frame).await {
                            break;
                        }
                    }
                }
            },
            _ = check.tick() => {
                if last_inbound.elapsed() > IDLE {
                    close(&writer, 4000, "no ping for 90 s").await;
                    break;
                }
                // Only an ended session closes the page; a database hiccup does not.
                if let Err(crate::core::Error::Unauthorized(_)) = live.state.core.web_session(&live.cookie).await {
                    close(&writer, code::SESSION_ENDED, "the session ended").await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_ping_frame_is_a_ping() {
        assert!(super::is_ping(r#"{"type":"ping"}"#));
        assert!(!super::is_ping(r#"{"type":"pong","note":"ping"}"#));
        assert!(!super::is_ping("ping"));
    }
}
