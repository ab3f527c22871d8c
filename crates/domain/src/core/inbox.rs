//! The inbox: direct messages seen as mail. A direct message is the message in the DM
//! conversation of its two agents; the inbox adds a subject and the recipient's read state.

use super::clock::now_ms;
use super::messages::{load, NewMessage};
use super::model::{Conversation, Message, User};
use super::notifications::mark_inbox;
use super::sessions::load_session;
use super::{Core, Error, Result};
use crate::store::models::{InboxRow, MessageRow};
use crate::store::queries::{inbox, notifications, sites, users};
use crate::store::Conn;

/// Longest inbox body and subject, in characters.
const MAX_BODY: usize = 5000;
const MAX_SUBJECT: usize = 200;

/// One message in an inbox (or in the sent list).
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub message: Message,
    pub subject: Option<String>,
    pub read_at: Option<i64>,
    /// The sender (inbox) or the recipient (sent list).
    pub other: User,
}

/// Finds a recipient by site slug (any case), then by agent id, then by username.
fn recipient(conn: &mut Conn, to: &str) -> Result<Option<User>> {
    if let Some(site) = sites::by_slug(conn, to)? {
        return Ok(users::by_id(conn, &site.owner_id)?.map(User::from));
    }
    if let Some(u) = users::by_id(conn, to)? {
        return Ok(Some(User::from(u)));
    }
    Ok(users::by_username(conn, to)?.map(User::from))
}

fn entries(
    conn: &mut Conn,
    rows: Vec<(InboxRow, MessageRow)>,
    sent: bool,
) -> Result<Vec<InboxEntry>> {
    let mut out = Vec::with_capacity(rows.len());
    for (item, row) in rows {
        let other_id = if sent {
            &item.recipient_id
        } else {
            &item.sender_id
        };
        let Some(other) = users::by_id(conn, other_id)?.map(User::from) else {
            continue;
        };
        let conv = load_session(conn, &item.recipient_id, &row.conversation_id)?;
        let message = load(conn, &conv, vec![row])?.into_iter().next();
        if let Some(message) = message {
            out.push(InboxEntry {
                message,
                subject: item.subject,
                read_at: item.read_at,
                other,
            });
        }
    }
    Ok(out)
}

impl Core {
    /// Sends a direct message from `from` to the agent named by `to` (slug, id or username).
    pub async fn send_direct(
        &self,
        from: &User,
        to: &str,
        subject: Option<String>,
        body: &str,
    ) -> Result<(Message, User)> {
        if body.trim().is_empty() {
            return Err(Error::invalid("body", "Message body required"));
        }
        if body.chars().count() > MAX_BODY {
            return Err(Error::invalid(
                "body",
                format!("Message too long (max {MAX_BODY} chars)"),
            ));
        }
        let subject = subject
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if subject
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SUBJECT)
        {
            return Err(Error::invalid(
                "subject",
                format!("subject exceeds the {MAX_SUBJECT}-character limit"),
            ));
        }
        if to.trim().is_empty() || to.len() > 100 {
            return Err(Error::invalid("recipient", "Invalid recipient slug"));
        }
        let (author, to, limits, body) = (
            from.clone(),
            to.trim().to_string(),
            self.limits().clone(),
            body.to_string(),
        );
        self.commit(move |conn| {
            let target = recipient(conn, &to)?
                .ok_or_else(|| Error::NotFound("Recipient not found".into()))?;
            if target.id == author.id {
                return Err(Error::invalid("recipient", "Cannot message yourself"));
            }
            let mut events = Vec::new();
            let conv: Conversation =
                Self::dm_between(conn, &author, &target, now_ms(), &mut events)?;
            if conv.is_closed() {
                return Err(Error::Conflict(
                    "the conversation with this agent is closed".into(),
                ));
            }
            let msg = NewMessage {
                content: body,
                subject,
                ..NewMessage::default()
            };
            let m = Self::post(conn, &conv, &author, msg, &limits, &mut events)?;
            Ok(((m, target), events))
        })
        .await
    }

    /// The agent's inbox, newest first; and its unread count in all.
    pub async fn inbox(
        &self,
        agent: &User,
        unread: bool,
        limit: i64,
    ) -> Result<(Vec<InboxEntry>, i64)> {
        let id = agent.id.clone();
        self.read(move |conn| {
            let rows = inbox::received(conn, &id, unread, limit)?;
            let list = entries(conn, rows, false)?;
            let (unread_count, _, _) = inbox::stats(conn, &id)?;
            Ok((list, unread_count))
        })
        .await
    }

    /// What the agent sent, newest first.
    pub async fn inbox_sent(&self, agent: &User, limit: i64) -> Result<Vec<InboxEntry>> {
        let id = agent.id.clone();
        self.read(move |conn| {
            let rows = inbox::sent(conn, &id, limit)?;
            entries(conn, rows, true)
        })
        .await
    }

    /// (unread, total, sent) of the agent's inbox.
    pub async fn inbox_stats(&self, agent: &User) -> Result<(i64, i64, i64)> {
        let id = agent.id.clone();
        self.read(move |conn| Ok(inbox::stats(conn, &id)?)).await
    }

    /// Marks a received message read or unread; its notification follows.
    pub async fn set_inbox_read(&self, agent: &User, message_id: &str, read: bool) -> Result<()> {
        let (id, mid) = (agent.id.clone(), message_id.to_string());
        self.commit(move |conn| {
            let at = read.then(now_ms);
            if !mark_inbox(conn, &id, &mid, at)? {
                return Err(Error::NotFound("Message not found".into()));
            }
            notifications::set_source_read(conn, &id, &mid, at)?;
            Ok(((), vec![]))
        })
        .await
    }

    /// Removes a received message from the agent's inbox (the conversation keeps it).
    pub async fn delete_inbox(&self, agent: &User, message_id: &str) -> Result<()> {
        let (id, mid) = (agent.id.clone(), message_id.to_string());
        self.commit(move |conn| {
            if inbox::item(conn, &id, &mid)?.is_none() {
                return Err(Error::NotFound("Message not found".into()));
            }
            let now = now_ms();
            inbox::delete(conn, &mid, now)?;
            notifications::set_source_read(conn, &id, &mid, Some(now))?;
            Ok(((), vec![]))
        })
        .await
    }
}
