//! What one MoChat socket subscribed to, in which dialect, and where each live message goes.
//! Pure state: no I/O, so every rule here is unit-tested.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::core::model::{ConversationKind, Message};

/// The push styles a message can produce on a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// Seed dialect `notify:session`.
    SeedSession,
    /// Seed dialect `notify:panel`.
    SeedPanel,
    /// Real dialect `claw.session.events`.
    ClawSession,
    /// Real dialect `claw.panel.events`.
    ClawPanel,
    /// Tailchat fallback `notify:chat.inbox.append` (sessions).
    TailchatInbox,
    /// Tailchat fallback `notify:chat.message.add` (panels).
    TailchatPanel,
}

/// A real-dialect session subscription.
#[derive(Debug)]
enum Feed {
    /// Its backlog is being read and sent; live messages wait here meanwhile.
    Syncing(Vec<Arc<Message>>),
    /// Live; the largest seq sent so far.
    Live(i64),
}

/// Every subscription of one socket. Conversation ids are bare (no `session_` prefix).
#[derive(Debug, Default)]
pub struct Subscriptions {
    seed_sessions_all: bool,
    seed_sessions: HashSet<String>,
    seed_panels_all: bool,
    seed_panels: HashSet<String>,
    /// Whether the socket used `com.claw.im.subscribeSessions` (it then follows new sessions).
    claw_active: bool,
    claw_sessions: HashMap<String, Feed>,
    claw_panels_all: bool,
    claw_panels: HashSet<String>,
    tailchat: bool,
}

impl Subscriptions {
    /// Empty subscriptions; `tailchat` turns on the `notify:chat.*` fallbacks.
    pub fn new(tailchat: bool) -> Self {
        Subscriptions {
            tailchat,
            ..Default::default()
        }
    }

    /// Seed `session:subscribe` (`None` = `"*"`).
    pub fn seed_session(&mut self, id: Option<&str>, on: bool) {
        match (id, on) {
            (None, true) => self.seed_sessions_all = true,
            (None, false) => {
                self.seed_sessions_all = false;
                self.seed_sessions.clear();
            }
            (Some(id), true) => {
                self.seed_sessions.insert(id.to_string());
            }
            (Some(id), false) => {
                self.seed_sessions.remove(id);
            }
        }
    }

    /// Seed `panel:subscribe` (`None` = `"*"`).
    pub fn seed_panel(&mut self, id: Option<&str>, on: bool) {
        match (id, on) {
            (None, true) => self.seed_panels_all = true,
            (None, false) => {
                self.seed_panels_all = false;
                self.seed_panels.clear();
            }
            (Some(id), true) => {
                self.seed_panels.insert(id.to_string());
            }
            (Some(id), false) => {
                self.seed_panels.remove(id);
            }
        }
    }

    /// Real `subscribePanels`: these panels, and with `all` every future text panel too.
    pub fn claw_panels(&mut self, ids: &[String], all: bool) {
        self.claw_panels.extend(ids.iter().cloned());
        self.claw_panels_all |= all;
    }

    /// Real `subscribeSessions` starts: these sessions hold live messages until synced.
    pub fn begin_sync(&mut self, ids: &[String]) {
        self.claw_active = true;
        for id in ids {
            self.claw_sessions
                .insert(id.clone(), Feed::Syncing(Vec::new()));
        }
    }

    /// A session's backlog was sent up to `cursor`: it goes live, and the messages held
    /// meanwhile that are newer than `cursor` are returned, in order, to be sent now.
    pub fn finish_sync(&mut self, id: &str, cursor: i64) -> Vec<Arc<Message>> {
        let held = match self
            .claw_sessions
            .insert(id.to_string(), Feed::Live(cursor))
        {
            Some(Feed::Syncing(held)) => held,
            _ => Vec::new(),
        };
        let mut last = cursor;
        let mut out = Vec::new();
        for m in held {
            if m.seq > last {
                last = m.seq;
                out.push(m);
            }
        }
        self.claw_sessions.insert(id.to_string(), Feed::Live(last));
        out
    }

    /// A session that may not be read is dropped from the real subscriptions.
    pub fn forget(&mut self, id: &str) {
        self.claw_sessions.remove(id);
    }

    /// A new session that includes the agent: real-dialect sockets follow it from `cursor`.
    /// Returns whether the socket should be told.
    pub fn follow_new(&mut self, id: &str, cursor: i64) -> bool {
        if !self.claw_active || self.claw_sessions.contains_key(id) {
            return false;
        }
        self.claw_sessions
            .insert(id.to_string(), Feed::Live(cursor));
        true
    }

    /// The pushes a live message produces on this socket, in order. Real-dialect session
    /// messages are held while their session syncs, and never sent twice or out of order.
    pub fn route(&mut self, m: &Arc<Message>) -> Vec<Style> {
        let id = m.conversation_id.as_str();
        let mut out = Vec::new();
        if m.conversation_kind == ConversationKind::Panel {
            if self.seed_panels_all || self.seed_panels.contains(id) {
                out.push(Style::SeedPanel);
            }
            if self.claw_panels_all || self.claw_panels.contains(id) {
                out.push(Style::ClawPanel);
                if self.tailchat {
                    out.push(Style::TailchatPanel);
                }
            }
            return out;
        }
        if self.seed_sessions_all || self.seed_sessions.contains(id) {
            out.push(Style::SeedSession);
        }
        match self.claw_sessions.get_mut(id) {
            Some(Feed::Syncing(held)) => held.push(m.clone()),
            Some(Feed::Live(cursor)) if m.seq > *cursor => {
                *cursor = m.seq;
                out.push(Style::ClawSession);
                if self.tailchat {
                    out.push(Style::TailchatInbox);
                }
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{User, UserKind};

    fn msg(conv: &str, kind: ConversationKind, seq: i64) -> Arc<Message> {
        Arc::new(Message {
            id: format!("{conv}-{seq}").into(),
            conversation_id: conv.into(),
            conversation_kind: kind,
            group_id: None,
            seq,
            author: User {
                id: "u".into(),
                kind: UserKind::Agent,
                username: None,
                display_name: "u".into(),
                email: None,
                avatar: None,
                metadata: None,
                owner_id: None,
                created_at: 0,
            },
            content: "x".into(),
            kind: crate::core::model::MessageKind::Text,
            reply_to: None,
            metadata: None,
            mention_ids: vec![],
            mention_names: vec![],
            mention_all: false,
            created_at: 0,
            subject: None,
        })
    }

    #[test]
    fn nothing_is_pushed_without_a_subscription() {
        let mut s = Subscriptions::new(false);
        assert!(s.route(&msg("a", ConversationKind::Dm, 1)).is_empty());
        assert!(s.route(&msg("p", ConversationKind::Panel, 1)).is_empty());
    }

    #[test]
    fn seed_wildcards_cover_every_conversation_and_unsubscribe_clears() {
        let mut s = Subscriptions::new(false);
        s.seed_session(None, true);
        s.seed_panel(Some("p"), true);
        assert_eq!(
            s.route(&msg("any", ConversationKind::Group, 1)),
            [Style::SeedSession]
        );
        assert_eq!(
            s.route(&msg("p", ConversationKind::Panel, 1)),
            [Style::SeedPanel]
        );
        assert!(s.route(&msg("q", ConversationKind::Panel, 1)).is_empty());
        s.seed_session(None, false);
        assert!(s.route(&msg("any", ConversationKind::Group, 2)).is_empty());
    }

    #[test]
    fn a_socket_in_both_dialects_gets_both_styles() {
        let mut s = Subscriptions::new(true);
        s.seed_session(Some("a"), true);
        s.begin_sync(&["a".into()]);
        assert!(s.finish_sync("a", 0).is_empty());
        assert_eq!(
            s.route(&msg("a", ConversationKind::Dm, 1)),
            [Style::SeedSession, Style::ClawSession, Style::TailchatInbox]
        );
    }

    #[test]
    fn messages_during_sync_are_held_and_released_once_in_order() {
        let mut s = Subscriptions::new(false);
        s.begin_sync(&["a".into()]);
        for seq in [3, 4, 5] {
            assert!(s.route(&msg("a", ConversationKind::Dm, seq)).is_empty());
        }
        // The backlog already covered up to 4: only 5 is released.
        let released: Vec<i64> = s.finish_sync("a", 4).iter().map(|m| m.seq).collect();
        assert_eq!(released, [5]);
        assert!(
            s.route(&msg("a", ConversationKind::Dm, 5)).is_empty(),
            "no duplicate"
        );
        assert_eq!(
            s.route(&msg("a", ConversationKind::Dm, 6)),
            [Style::ClawSession]
        );
    }

    #[test]
    fn new_sessions_are_followed_only_by_real_dialect_sockets() {
        let mut seed_only = Subscriptions::new(false);
        seed_only.seed_session(None, true);
        assert!(!seed_only.follow_new("n", 0));
        let mut real = Subscriptions::new(false);
        real.begin_sync(&[]);
        assert!(real.follow_new("n", 0));
        assert!(!real.follow_new("n", 0), "told once");
        assert_eq!(
            real.route(&msg("n", ConversationKind::Dm, 1)),
            [Style::ClawSession]
        );
    }

    #[test]
    fn claw_panels_all_covers_future_panels() {
        let mut s = Subscriptions::new(false);
        s.claw_panels(&["p".into()], false);
        assert!(s.route(&msg("q", ConversationKind::Panel, 1)).is_empty());
        s.claw_panels(&[], true);
        assert_eq!(
            s.route(&msg("q", ConversationKind::Panel, 1)),
            [Style::ClawPanel]
        );
    }
}
