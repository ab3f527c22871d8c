//! One authenticated MoChat socket: who it is, what it subscribed to, and the sink that turns
//! its hub events into pushes.

use std::sync::{Arc, Mutex, MutexGuard};

use super::agent_sockets::AgentSlot;
use super::pushes::{encode, RenderCache};
use super::subscriptions::{Style, Subscriptions};
use super::MochatSockets;
use crate::core::events::Event;
use crate::core::ids::UserId;
use crate::core::model::Message;
use crate::hub::{Dropped, Registration, Sink, Topic};
use crate::socketio::Socket;
use crate::wire::mochat::ids::session_id;
use crate::wire::mochat::schema::Watched;

/// The state of one socket, kept in the socket's extensions.
pub struct Connection {
    /// The agent the socket authenticated as (only its id: the row is read where it is needed).
    pub agent: UserId,
    /// Digest of the token the socket authenticated with (rotation ends the socket).
    pub digest: String,
    /// Groups of the agent at connect time (public panel messages are for members).
    pub groups: Box<[String]>,
    subs: Mutex<Subscriptions>,
    /// Events this socket may still emit (flood limit).
    budget: Mutex<crate::core::limits::Allowance>,
    listener: Mutex<Option<Registration<Event>>>,
    /// This socket's place under the agent's socket cap; freed when it stops.
    slot: Mutex<Option<AgentSlot>>,
}

impl Connection {
    /// Registers the socket with the hub (presence, its own topic, its groups' panels), its
    /// events delivered by this thread's delivery task.
    pub fn start(
        socket: Socket,
        agent: UserId,
        digest: String,
        groups: Vec<String>,
        slot: AgentSlot,
        live: &MochatSockets,
    ) -> Arc<Connection> {
        let settings = &live.state.settings;
        // Copied here: the rows were read on a database thread, and a long-lived value left in
        // that thread's allocator arena keeps its pages of short-lived rows resident.
        let conn = Arc::new(Connection {
            agent: UserId::from(agent.as_str()),
            digest,
            groups: groups.iter().map(|g| g.as_str().into()).collect(),
            subs: Mutex::new(Subscriptions::new(settings.mochat_tailchat_fallbacks)),
            budget: Mutex::new(crate::core::limits::Allowance::new(
                settings.sio_events_per_sec,
                settings.sio_events_per_sec.saturating_mul(2),
            )),
            listener: Mutex::new(None),
            slot: Mutex::new(Some(slot)),
        });
        let delivery = Delivery {
            conn: conn.clone(),
            socket,
            cache: live.cache.clone(),
        };
        let listener = live.state.core.hub().register_sink(
            settings.outbound_queue,
            Some(conn.agent.to_string()),
            Box::new(delivery),
        );
        listener.subscribe(Topic::User(conn.agent.to_string()));
        for g in &conn.groups {
            listener.subscribe(Topic::Group(g.clone()));
        }
        *conn.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
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

    /// Leaves the hub (no more deliveries; the sink's hold on this connection ends) and frees
    /// the socket's place under the cap.
    pub fn stop(&self) {
        self.listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
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

/// Hands a socket's hub events to it as pushes; run by its thread's delivery task.
struct Delivery {
    conn: Arc<Connection>,
    socket: Socket,
    cache: Arc<RenderCache>,
}

impl Sink<Event> for Delivery {
    fn deliver(&self, event: &Arc<Event>) -> bool {
        let (conn, socket) = (&self.conn, &self.socket);
        let ok = match &**event {
            Event::MessagePosted { message, audience } => {
                if !audience.includes(&conn.agent, &conn.groups) {
                    return true;
                }
                let mut subs = conn.subs();
                let items: Vec<(Arc<Message>, Style)> = subs
                    .route(message)
                    .into_iter()
                    .map(|s| (message.clone(), s))
                    .collect();
                conn.send_all(socket, &self.cache, &items)
            }
            Event::ConversationJoined {
                conversation,
                users,
            } => {
                if !users.iter().any(|u| *u == conn.agent) {
                    return true;
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
                if user_id == &conn.agent && digests.contains(&conn.digest) {
                    socket.disconnect();
                    return false;
                }
                true
            }
        };
        if !ok {
            // The socket's own queue is full or closed: it cannot keep up.
            socket.close_connection();
        }
        ok
    }

    fn ended(&self, why: Option<Dropped>) {
        if why == Some(Dropped::SlowConsumer) {
            log::info!(
                "closing a MoChat socket of {} that fell behind",
                self.conn.agent
            );
            self.socket.close_connection();
        }
    }
}
