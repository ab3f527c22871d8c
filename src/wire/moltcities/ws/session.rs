//! The life of one accepted socket, common to both channels: the read loop (frame size limit,
//! RFC 6455 pings, idle timeout), hub events, closing, and leaving the registry.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::frames::{self, Inbound, PresenceEvent};
use super::link::code;
use super::registry::{Channel, Member, Registry};
use crate::app::State;
use crate::core::events::Event;
use crate::core::model::User;
use crate::core::TOWN_SQUARE;
use crate::hub::{Inbox, Registration};
use crate::websocket::{CloseFrame, Message, Reader};

/// An accepted, authenticated socket.
pub struct Socket {
    /// The application state (core and settings).
    pub state: State,
    /// The process's socket registry.
    pub registry: Arc<Registry>,
    /// The authenticated agent.
    pub user: User,
    /// Digest of the key the socket authenticated with: revoking that key ends the socket.
    pub digest: String,
    /// Which channel the socket is on.
    pub channel: Channel,
    /// The socket as the registry knows it.
    pub member: Member,
}

impl Socket {
    /// Queues a frame without waiting (a full queue closes the socket as a slow consumer).
    pub fn send(&self, frame: &frames::ServerFrame) -> bool {
        self.member.link.send(frame)
    }
}

/// What differs between the channels.
pub trait Handler {
    /// Joins the registry and sends what a new socket gets first (`connected`, a replay).
    async fn start(&mut self, s: &Socket);
    /// A client text frame (or a binary one, read as [`Inbound::InvalidJson`]).
    async fn on_frame(&mut self, s: &Socket, frame: Inbound);
    /// A hub event on one of the socket's topics.
    fn on_event(&mut self, s: &Socket, event: &Event);
}

/// Runs the socket until it closes, then leaves the hub and the registry. Spawned as the
/// socket's task itself: every layer of `async fn` around it would keep its own copy of the
/// arguments for the socket's whole life.
pub async fn drive<H: Handler>(
    s: Socket,
    mut handler: H,
    mut stream: Reader,
    mut events: Inbox<Event>,
    registration: Registration<Event>,
) {
    // Boxed: the start's futures are needed once and must not stay in the task.
    Box::pin(handler.start(&s)).await;
    // One socket per agent and channel in the whole cluster: the other nodes close theirs.
    s.state.core.live().announce(Event::Displaced {
        user_id: s.user.id.to_string(),
        channel: s.channel.name().to_string(),
    });
    let settings = &s.state.settings;
    let idle_timeout = Duration::from_secs(settings.ws_idle_timeout_secs);
    let mut tick = tokio::time::interval(Duration::from_secs(settings.ws_idle_check_secs.max(1)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_inbound = Instant::now();
    let link = s.member.link.clone();
    // A client flooding frames gets one error frame per refused burst and its frames dropped.
    let per_sec = settings.ws_frames_per_sec;
    let mut budget = crate::core::limits::Allowance::new(per_sec, per_sec.saturating_mul(2));
    let mut told = false;
    loop {
        tokio::select! {
            biased;
            _ = link.closed() => break,
            msg = stream.recv() => {
                let msg = match msg {
                    None => {
                        link.close(code::NORMAL, "", Some(PresenceEvent::Left));
                        break;
                    }
                    Some(Err(e)) => {
                        log::debug!("MoltCities socket of {}: {e}", s.user.id);
                        // The WebSocket layer names the code and reason (1002, 1007, 1008, 1009).
                        let (c, reason) = e
                            .close_frame()
                            .map_or((code::PROTOCOL_ERROR, String::new()), |c| (c.code, c.reason));
                        link.close(c, &reason, Some(PresenceEvent::Left));
                        break;
                    }
                    Some(Ok(m)) => m,
                };
                last_inbound = Instant::now();
                let data_frame = matches!(msg, Message::Text(_) | Message::Binary(_));
                if data_frame && !budget.take() {
                    if !told {
                        told = true;
                        s.send(&frames::error(format!("Rate limit exceeded: at most {per_sec} frames per second (bursts of {}); frames are being dropped", per_sec.saturating_mul(2))));
                    }
                    continue;
                }
                if data_frame {
                    told = false;
                }
                match msg {
                    // Boxed, so that an idle socket's task does not carry the frame's future.
                    Message::Text(t) => Box::pin(handler.on_frame(&s, frames::parse(&t))).await,
                    Message::Binary(_) => Box::pin(handler.on_frame(&s, Inbound::InvalidJson)).await,
                    Message::Ping(p) => {
                        link.pong(p);
                    }
                    Message::Pong(_) => {}
                    Message::Close(reason) => {
                        // Echo the client's code, as RFC 6455 §5.5.1 suggests (the WebSocket
                        // layer refused any code that may not be sent).
                        let echoed = CloseFrame::reply_to(reason.as_ref()).map_or(code::NORMAL, |r| r.code);
                        link.close(echoed, "", Some(PresenceEvent::Left));
                        break;
                    }
                }
            }
            ev = events.recv() => match ev {
                Some(ev) => match &*ev {
                    Event::CredentialsRevoked { user_id, digests }
                        if *user_id == s.user.id && digests.contains(&s.digest) =>
                    {
                        link.close(code::POLICY, "API key revoked", Some(PresenceEvent::Left));
                        break;
                    }
                    Event::Displaced { user_id, channel }
                        if *user_id == s.user.id && channel == s.channel.name() =>
                    {
                        link.close(code::DISPLACED, "New connection opened", None);
                        break;
                    }
                    other => handler.on_event(&s, other),
                },
                // The hub drops a listener only when its queue is full.
                None => {
                    link.close(code::SLOW_CONSUMER, "Slow consumer", Some(PresenceEvent::Left));
                    break;
                }
            },
            _ = tick.tick(), if !idle_timeout.is_zero() => {
                if last_inbound.elapsed() >= idle_timeout {
                    link.close(code::TIMEOUT, "Connection timeout", Some(PresenceEvent::Timeout));
                    break;
                }
            }
        }
    }
    drop(registration);
    let presence = link.closing().and_then(|c| c.presence);
    if let Some(c) = link.closing() {
        log::debug!(
            "MoltCities {:?} socket {} of {} closed: {} {}",
            s.channel,
            s.member.id,
            s.user.id,
            c.code,
            c.reason
        );
    }
    let elsewhere = match s.channel {
        Channel::TownSquare => s.state.core.live().room_elsewhere(TOWN_SQUARE),
        Channel::Personal => 0,
    };
    let announced = presence.is_some();
    let removed = s
        .registry
        .detach(s.channel, &s.user.id, s.member.id, presence, elsewhere);
    // A displaced socket leaves without a word: its successor is the agent's presence.
    if removed && s.channel == Channel::TownSquare && announced {
        s.state
            .core
            .live()
            .room_changed(TOWN_SQUARE, &s.user.id, &s.member.handle, false);
    }
}
