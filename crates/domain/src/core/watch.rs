//! Long-poll over a conversation's event log: answer at once when events past the cursor
//! exist, otherwise wait for the next one or the timeout.

use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use super::ids::UserId;
use super::messages::load;
use super::model::{Message, User};
use super::sessions::load_session;
use super::{Core, Error, Result};
use crate::hub::Topic;
use crate::store::queries::messages;

/// What a watch returns: the cursor to pass next time and the events after the old one.
#[derive(Debug, Clone)]
pub struct Watched {
    pub cursor: i64,
    pub messages: Vec<Message>,
}

/// Largest batch one watch returns.
const WATCH_MAX: i64 = 500;

impl Core {
    /// Waits up to `timeout` for messages with seq above `cursor` in a session of the caller.
    pub async fn watch_session(
        &self,
        caller: &User,
        id: &str,
        cursor: i64,
        timeout: Duration,
        limit: i64,
    ) -> Result<Watched> {
        if !(1..=WATCH_MAX).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("limit must be between 1 and {WATCH_MAX}"),
            ));
        }
        if cursor < 0 {
            return Err(Error::invalid(
                "cursor",
                "cursor must be a non-negative integer",
            ));
        }
        let conv = self.session(&caller.id, id).await?;
        let deadline = Instant::now() + timeout.min(self.settings.max_watch);
        // Listen before reading, so nothing lands between the read and the wait.
        let (mut listener, mut wake) = self.hub.register(16, None);
        listener.subscribe(Topic::Conversation(conv.id.to_string()));
        let mut after = cursor;
        let mut first = true;
        loop {
            let (latest, found) = self
                .session_events(&caller.id, &conv.id, after, limit)
                .await?;
            if let Some(last) = found.last() {
                return Ok(Watched {
                    cursor: last.seq,
                    messages: found,
                });
            }
            // A cursor past the latest seq (state the server no longer has) waits like one
            // at the end of the log, so new events still get through instead of a spin.
            if first && after > latest {
                after = latest;
            }
            first = false;
            tokio::select! {
                woke = wake.recv() => {
                    if woke.is_none() {
                        (listener, wake) = self.hub.register(16, None);
                        listener.subscribe(Topic::Conversation(conv.id.to_string()));
                    }
                    while wake.try_recv().is_some() {}
                }
                _ = sleep_until(deadline) => return Ok(Watched { cursor: after, messages: vec![] }),
            }
        }
    }

    /// The latest seq of a session of the caller and up to `limit` of its messages after `after`.
    pub async fn session_events(
        &self,
        caller: &UserId,
        id: &str,
        after: i64,
        limit: i64,
    ) -> Result<(i64, Vec<Message>)> {
        let (id, caller_id) = (id.to_string(), caller.clone());
        self.read(move |conn| {
            // Re-checked on every read: a participant removed while waiting stops seeing events.
            let conv = load_session(conn, &caller_id, &id)?;
            let latest = conv.last_seq;
            let rows = messages::after_seq(conn, &id, after, limit)?;
            Ok((latest, load(conn, &conv, rows)?))
        })
        .await
    }
}
