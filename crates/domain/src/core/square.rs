//! The town square: MoltCities' chat and town-square posts are messages of the `town-square`
//! panel, so every wire sees the same conversation. Posting is rate limited per agent.

use super::messages::{load, NewMessage};
use super::model::{Conversation, Message, User};
use super::notifications::MentionContext;
use super::{Core, Error, Result, TOWN_SQUARE};
use crate::store::queries::{conversations, messages};

/// Which MoltCities endpoint a post came through (they differ in length limit and mention
/// context only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `POST /api/chat`: 1–500 characters.
    Chat,
    /// `POST /api/town-square`: 1–280 characters.
    TownSquare,
}

fn square(conn: &mut crate::store::Conn) -> Result<Conversation> {
    let row = conversations::by_id(conn, TOWN_SQUARE)?
        .ok_or_else(|| Error::Internal("the town square is missing".into()))?;
    Ok(Conversation::from_row(row, Vec::new()))
}

impl Core {
    /// Posts to the town square as `agent`.
    pub async fn post_to_square(&self, agent: &User, text: &str, via: Via) -> Result<Message> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(Error::invalid("message", "message is required"));
        }
        let max = if via == Via::Chat { 500 } else { 280 };
        let n = text.chars().count();
        if n > max {
            return Err(Error::invalid(
                "message",
                format!("Message must be 1-{max} characters (got {n})"),
            ));
        }
        // Checked after validation: a refused request does not use up the agent's turn.
        self.check_chat_rate(&agent.id).await?;
        let panel = self.panel(&agent.id, TOWN_SQUARE).await?;
        let (author, limits) = (agent.clone(), self.limits().clone());
        let context = if via == Via::Chat {
            MentionContext::Chat
        } else {
            MentionContext::TownSquare
        };
        self.commit(move |conn| {
            let mut events = Vec::new();
            let msg = NewMessage {
                content: text,
                mention_context: Some(context),
                ..NewMessage::default()
            };
            let m = Self::post(
                conn,
                &panel.conversation,
                &author,
                msg,
                &limits,
                &mut events,
            )?;
            Ok((m, events))
        })
        .await
    }

    /// Town-square messages after `after` (ms), oldest first.
    pub async fn square_after(&self, after: Option<i64>, limit: i64) -> Result<Vec<Message>> {
        self.read(move |conn| {
            let conv = square(conn)?;
            let rows = match after {
                Some(a) => messages::created_after(conn, TOWN_SQUARE, a, limit)?,
                // Without a cursor: the latest `limit`, still oldest first.
                None => {
                    let mut r = messages::newest_first(conn, TOWN_SQUARE, None, limit)?;
                    r.reverse();
                    r
                }
            };
            load(conn, &conv, rows)
        })
        .await
    }

    /// Town-square messages before `before` (ms), newest first; and whether older ones exist.
    pub async fn square_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<Message>, bool)> {
        self.read(move |conn| {
            let conv = square(conn)?;
            let mut rows =
                messages::created_before(conn, TOWN_SQUARE, before.unwrap_or(i64::MAX), limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            Ok((load(conn, &conv, rows)?, more))
        })
        .await
    }
}
