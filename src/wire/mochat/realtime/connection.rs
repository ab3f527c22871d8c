//! One authenticated MoChat socket: who it is, what it subscribed to, and the task that turns
//! hub events into pushes.

use std::sync::{Arc, Mutex, MutexGuard};

use super::agent_sockets::AgentSlot;
use super::pushes::{encode, RenderCache};
use super::subscriptions::{Style, Subscriptions};
use super::MochatSockets;
use crate::core::events::Event;
use crate::core::model::{Message, User};
use crate::hub::{Dropped, Inbox, Registration, Topic};
use crate::socketio::Socket;
use crate::wire::mochat::ids::session_id;
use crate::wire::mochat::schema::Watched;

/// The state of one socket, kept in the socket's extensions.
pub struct Connection {
    pub user: User,
    /// Digest of the token the socket authenticated with (rotation ends the socket).
    pub digest: String,
    /// Groups of the agent at connect time (public panel messages are for members).
    pub groups: Vec<String>,
    subs: Mutex<Subscriptions>,
    /// Events this socket may still emit (flood limit).
    budget: Mutex<crate::core::limits::Allowance>,
    listener: Mutex<Option<Registration<Event>>>,
    /// This socket's place under the agent's socket cap; freed when it stops.
    slot: Mutex<Option<AgentSlot>>,
}

impl Connection {
    /// Registers the socket with the hub (presence, its own topic, its groups' panels) and
    /// starts the task that delivers hub events to it.
    pub fn start(
        socket: Socket,
        user: User,
        digest: String,
        groups: Vec<String>,
        slot: AgentSlot,
        live: &MochatSockets,
    ) -> Arc<Connection> {
        let settings = &live.state.settings;
        let (listener, events) = live
            .state
            .core
            .hub()
            .register(settings.outbound_queue, Some(user.id.to_string()));
        listener.subscribe(Topic::User(user.id.to_string()));
        for g in &groups {
            listener.subscribe(Topic::Group(g.clone()));
        }
        let conn = Arc::new(Connection {
            user,
            digest,
            groups,
            subs: Mutex::new(Subscriptions::new(settings.mochat_tailchat_fallbacks)),
            budget: Mutex::new(crate::core::limits::Allowance::new(
                settings.sio_events_per_sec,
                settings.sio_events_per_sec.saturating_mul(2),
            )),
            listener: Mutex::new(Some(listener)),
            slot: Mutex::new(Some(slot)),
        });
        tokio::spawn(pump(conn.clone(), socket, events, live.cache.clone()));
        conn
    }

    /// The socket's subscriptions, locked. Pushes are sent while it is held so that no two
    /// paths can reorder one session's messages.
    pub fn subs(&self) -> MutexGuard<'_, Subscriptions> {
        self.subs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the socket may emit one more event now.
    pub fn within_rate(&self) -> bool {
        self.budget.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Leaves the hub (the delivery task ends) and frees the socket's place under the cap.
    pub fn stop(&self) {
        self.listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    fn slow(&self) -> bool {
        self.listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .and_then(|l| l.dropped())
            == Some(Dropped::SlowConsumer)
    }

    /// Sends messages of one style, in order, through the shared render cache.
    pub fn send_all(
        &self,
        socket: &Socket,
        cache: &RenderCache,
        items: &[(Arc<Message>, Style)],
    ) -> bool {
        items.iter().all(|(m, style)| {
            socket
                .send_encoded(cache.get(m, *style, socket.parser()))
                .is_ok()
        })
    }
}

async fn pump(
    conn: Arc<Connection>,
    socket: Socket,
    mut events: Inbox<Event>,
    cache: Arc<RenderCache>,
) {
    while let Some(event) = events.recv().await {
        let ok = match &*event {
            Event::MessagePosted { message, audience } => {
                if !audience.includes(&conn.user.id, &conn.groups) {
                    continue;
                }
                let mut subs = conn.subs();
                let items: Vec<(Arc<Message>, Style)> = subs
                    .route(message)
                    .into_iter()
                    .map(|s| (message.clone(), s))
                    .collect();
                conn.send_all(&socket, &cache, &items)
            }
            Event::ConversationJoined {
                conversation,
                users,
            } => {
                if !users.iter().any(|u| *u == conn.user.id) {
                    continue;
                }
                let mut subs = conn.subs();
                if subs.follow_new(&conversation.id, conversation.last_seq) {
                    let data = Watched::new(
                        session_id(&conversation.id),
                        conversation.last_seq,
                        std::iter::empty(),
                    );
                    socket
                        .send_encoded(encode(socket.parser(), "claw.session.events", &data))
                        .is_ok()
                } else {
                    true
                }
            }
            // MoltCities notifications and sockets are not part of the MoChat wire.
            Event::Notified { .. } | Event::Displaced { .. } | Event::RoomPresence { .. } => true,
            Event::CredentialsRevoked { user_id, digests } => {
                if user_id == &conn.user.id && digests.contains(&conn.digest) {
                    socket.disconnect();
                    break;
                }
                true
            }
        };
        if !ok {
            // The socket's own queue is full or closed: it cannot keep up.
            socket.close_connection();
            break;
        }
    }
    if conn.slow() {
        log::info!(
            "closing a MoChat socket of {} that fell behind",
            conn.user.id
        );
        socket.close_connection();
    }
}
