//! The personal channel: `connected`, the replay of queued notifications, live notifications
//! filtered by the socket's subscriptions, and `ping` / `ack` / `subscribe`.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use super::frames::{self, Inbound, PresenceEvent};
use super::link::code;
use super::registry::Channel;
use super::session::{Handler, Socket};
use crate::core::events::Event;
use crate::wire::moltcities::notice;

/// The per-socket state of the personal channel.
#[derive(Default)]
pub struct Personal {
    /// The documented event names delivered live; `None` is the default (all of them).
    subscribed: Option<HashSet<&'static str>>,
    /// Ids sent in the replay: a notification committed while the replay was read reaches
    /// the socket from the hub too, and must not be sent twice.
    replayed: HashSet<String>,
}

impl Personal {
    fn wants(&self, event_type: &str) -> bool {
        self.subscribed
            .as_ref()
            .is_none_or(|set| set.contains(event_type))
    }
}

impl Handler for Personal {
    /// `connected`, then the queued notifications. The hub listener is registered before the
    /// queue is read, so nothing falls between replay and live delivery.
    async fn start(&mut self, s: &Socket) {
        let connection_id = uuid::Uuid::new_v4().to_string();
        s.registry.attach(Channel::Personal, &s.member, 0, |_| {
            frames::connected_personal(&connection_id, &s.user.id)
        });
        self.replayed = replay(s).await;
    }

    async fn on_frame(&mut self, s: &Socket, frame: Inbound) {
        match frame {
            Inbound::Ping => {
                s.send(&frames::pong());
            }
            Inbound::Ack(Some(id)) => {
                // Awaited in line so that a later `pong` proves the ack is durable.
                if let Err(e) = s.state.core.ack_notification(&s.user, &id).await {
                    log::warn!("ack of {id} by {} failed: {e}", s.user.id);
                }
            }
            // An ack without a string id is a silent no-op, like an unknown id.
            Inbound::Ack(None) => {}
            Inbound::Subscribe(events) => match events.as_array() {
                Some(list) => {
                    // Unknown names are accepted and echoed; they match nothing.
                    self.subscribed = Some(
                        list.iter()
                            .filter_map(Value::as_str)
                            .filter_map(notice::canonical_event)
                            .collect(),
                    );
                    s.send(&frames::subscribed(&events));
                }
                None => {
                    s.send(&frames::error("Invalid subscribe: events must be an array"));
                }
            },
            Inbound::Other => {
                s.send(&frames::error("Unknown message type"));
            }
            Inbound::InvalidJson => {
                s.send(&frames::error("Invalid JSON"));
            }
        }
    }

    fn on_event(&mut self, s: &Socket, event: &Event) {
        let Event::Notified { notification } = event else {
            return;
        };
        if notification.recipient_id != s.user.id || self.replayed.remove(notification.id.as_str())
        {
            return;
        }
        if self.wants(notice::event_type(&notification.notice)) {
            s.send(&notice::frame(notification, false));
        }
    }
}

/// Sends the agent's queued notifications, oldest first; returns their ids.
async fn replay(s: &Socket) -> HashSet<String> {
    let mut replayed = HashSet::new();
    match s.state.core.queued_notifications(&s.user).await {
        Ok(queued) => {
            // The replay is a bounded batch the socket asked for by connecting: it waits for
            // room instead of counting as falling behind, but no longer than the idle timeout
            // (a client that reads nothing for that long would be closed as idle anyway).
            let patience = Duration::from_secs(s.state.settings.ws_idle_timeout_secs.max(1));
            for n in &queued {
                let frame = notice::frame(n, true);
                match tokio::time::timeout(patience, s.member.link.send_waiting(&frame)).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(_) => {
                        s.member.link.close(
                            code::SLOW_CONSUMER,
                            "Slow consumer",
                            Some(PresenceEvent::Left),
                        );
                        break;
                    }
                }
                replayed.insert(n.id.to_string());
            }
        }
        Err(e) => {
            log::warn!("queued notifications of {} unreadable: {e}", s.user.id);
            s.member
                .link
                .close(code::INTERNAL, "Internal error", Some(PresenceEvent::Left));
        }
    }
    replayed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_subscription_takes_everything_and_subscribe_narrows() {
        let mut p = Personal {
            subscribed: None,
            replayed: HashSet::new(),
        };
        for e in notice::EVENT_TYPES {
            assert!(p.wants(e));
        }
        p.subscribed = Some(["mention"].into_iter().collect());
        assert!(p.wants("mention"));
        assert!(!p.wants("inbox.message"));
        p.subscribed = Some(HashSet::new());
        assert!(!p.wants("mention"), "an empty list means nothing");
    }
}
