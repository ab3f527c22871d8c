//! The town-square channel: `connected` with the online count, `chat` for every post in the
//! town-square conversation (the poster's own included), presence, and `ping`. Town-square
//! sockets never get personal notifications.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytestring::ByteString;

use super::frames::{self, Inbound, PresenceEvent};
use super::registry::Channel;
use super::session::{Handler, Socket};
use crate::core::events::Event;
use crate::core::model::Message;
use crate::core::TOWN_SQUARE;

/// How many recent chat frames stay rendered.
const RENDERED: usize = 16;

/// Chat frames rendered once and shared by every town-square socket: each post reaches all of
/// them at about the same time, so a short list of recent renders serves the whole fan-out.
#[derive(Default)]
pub struct ChatRenders {
    recent: Mutex<VecDeque<(String, ByteString)>>,
}

impl ChatRenders {
    /// The rendered `chat` frame of a message.
    pub fn get(&self, m: &Message) -> Option<ByteString> {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, text)) = recent.iter().find(|(id, _)| *id == m.id) {
            return Some(text.clone());
        }
        let text = frames::render(&frames::chat(m))?;
        if recent.len() == RENDERED {
            recent.pop_front();
        }
        recent.push_back((m.id.to_string(), text.clone()));
        Some(text)
    }
}

/// The town-square channel (no per-socket state).
pub struct TownSquare;

impl Handler for TownSquare {
    async fn start(&mut self, s: &Socket) {
        let live = s.state.core.live();
        let elsewhere = live.room_elsewhere(TOWN_SQUARE);
        if s.registry.attach(
            Channel::TownSquare,
            &s.member,
            elsewhere,
            frames::connected_square,
        ) {
            live.room_changed(TOWN_SQUARE, &s.user.id, &s.member.handle, true);
        }
    }

    async fn on_frame(&mut self, s: &Socket, frame: Inbound) {
        let reply = match frame {
            Inbound::Ping => frames::pong(),
            Inbound::InvalidJson => frames::error("Invalid JSON"),
            _ => frames::error("Chat messages must be sent via POST /api/chat"),
        };
        s.send(&reply);
    }

    fn on_event(&mut self, s: &Socket, event: &Event) {
        match event {
            Event::MessagePosted { message, .. } if message.conversation_id == TOWN_SQUARE => {
                if let Some(text) = s.registry.chat_renders.get(message) {
                    s.member.link.send_text(text);
                }
            }
            // Someone joined or left the square on another node.
            Event::RoomPresence {
                room,
                user_id,
                handle,
                present,
            } if room == TOWN_SQUARE && *user_id != s.user.id => {
                let count = s.registry.counts().town_square
                    + s.state.core.live().room_elsewhere(TOWN_SQUARE);
                if !s.registry.announces_presence(count) {
                    return;
                }
                let event = if *present {
                    PresenceEvent::Joined
                } else {
                    PresenceEvent::Left
                };
                s.send(&frames::presence(event, user_id, handle, count));
            }
            _ => {}
        }
    }
}
