//! Messages: validation, posting into any conversation (seq, mentions, reply), history pages.

use serde_json::Value;

use super::clock::now_ms;
use super::events::Audience;
use super::ids::GroupId;
use super::mentions;
use super::model::{Conversation, ConversationKind, Message, MessageKind, User, Visibility};
use super::notifications::{notify, Actor, MentionContext, Notice};
use super::{check_metadata, ids, Core, Error, Event, Limits, Result};
use crate::store::models::{InboxRow, MessageRow};
use crate::store::queries::{conversations, inbox, messages, sites, users};
use crate::store::Conn;

/// The kind a client named.
fn kind_of(name: &str) -> Result<MessageKind> {
    MessageKind::parse(name)
        .ok_or_else(|| Error::invalid("type", "type must be one of text, system, image, file"))
}

/// A message as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub content: String,
    /// `text` when absent.
    pub kind: Option<String>,
    /// Ignored when it names no message of the same conversation.
    pub reply_to: Option<String>,
    pub metadata: Option<Value>,
    /// A subject line (MoltCities inbox messages).
    pub subject: Option<String>,
    /// Where mentions in it count as written (chat, town square); by conversation when absent.
    pub mention_context: Option<MentionContext>,
}

impl NewMessage {
    /// A plain text message.
    pub fn text(content: impl Into<String>) -> Self {
        NewMessage {
            content: content.into(),
            ..Default::default()
        }
    }
}

/// One page of history, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub messages: Vec<Message>,
    pub has_more: bool,
    /// The id to pass as the next `before` cursor, when there is more.
    pub next_cursor: Option<String>,
}

/// Default and largest history page.
const PAGE_DEFAULT: i64 = 50;
const PAGE_MAX: i64 = 100;

fn check_content_with(content: &str, limits: &Limits) -> Result<()> {
    if content.trim().is_empty() {
        return Err(Error::invalid(
            "content",
            "content is required and must be a non-empty string",
        ));
    }
    let n = content.chars().count();
    if n > limits.max_message_chars {
        return Err(Error::TooLarge(format!(
            "content is {n} characters; the limit is {} characters",
            limits.max_message_chars
        )));
    }
    Ok(())
}

impl Core {
    /// Checks message content against the rules and the length limit.
    pub(crate) fn check_content(&self, content: &str) -> Result<()> {
        check_content_with(content, self.limits())
    }

    /// Checks a whole new message before any database work.
    pub(crate) fn check_message(&self, m: &NewMessage) -> Result<()> {
        check_content_with(&m.content, self.limits())?;
        if let Some(k) = &m.kind {
            kind_of(k)?;
        }
        check_metadata("metadata", &m.metadata, self.limits())?;
        Ok(())
    }

    /// Appends a message to a conversation inside the caller's transaction: next seq, mentions
    /// resolved to users, unknown `replyTo` dropped.
    pub(crate) fn post(
        conn: &mut Conn,
        conv: &Conversation,
        author: &User,
        input: NewMessage,
        limits: &Limits,
        events: &mut Vec<Event>,
    ) -> Result<Message> {
        check_content_with(&input.content, limits)?;
        let kind = match &input.kind {
            Some(k) => kind_of(k)?,
            None => MessageKind::Text,
        };
        let metadata = check_metadata("metadata", &input.metadata, limits)?;
        let reply_to = match input.reply_to.filter(|r| !r.is_empty() && r.len() <= 64) {
            Some(r) => messages::by_id(conn, &r)?
                .filter(|m| m.conversation_id == conv.id)
                .map(|m| m.id),
            None => None,
        };
        let found = mentions::parse(&input.content);
        let (mention_ids, mention_names) = resolve_mentions(conn, &found)?;
        let now = now_ms();
        let seq = conversations::next_seq(conn, &conv.id)?;
        let row = MessageRow {
            id: ids::object_id(),
            conversation_id: conv.id.to_string(),
            seq,
            author_id: author.id.to_string(),
            content: input.content,
            kind: kind.as_str().to_string(),
            reply_to,
            metadata,
            mention_ids: serde_json::to_string(&mention_ids).unwrap_or_else(|_| "[]".into()),
            mention_names: serde_json::to_string(&mention_names).unwrap_or_else(|_| "[]".into()),
            mention_all: found.all,
            created_at: now,
            subject: input.subject.clone(),
        };
        messages::insert(conn, &row)?;
        let m = Message::from_row(row, conv, author.clone());
        events.push(Self::posted(conv, &m));
        deliver_notices(
            conn,
            conv,
            &m,
            input.subject,
            input.mention_context,
            limits,
            events,
        )?;
        Ok(m)
    }

    /// The live event for a message just posted.
    pub(crate) fn posted(conv: &Conversation, m: &Message) -> Event {
        let audience = match (&conv.kind, &conv.group_id) {
            (ConversationKind::Panel, Some(g)) if conv.visibility == Visibility::Public => {
                Audience::Group(g.to_string())
            }
            _ => Audience::Users(conv.participants.clone()),
        };
        Event::MessagePosted {
            message: std::sync::Arc::new(m.clone()),
            audience,
        }
    }

    /// A page of a conversation's history, newest first, before the message `before`.
    pub(crate) async fn history(
        &self,
        conv: Conversation,
        before: Option<String>,
        limit: Option<i64>,
    ) -> Result<Page> {
        let limit = limit.unwrap_or(PAGE_DEFAULT);
        if !(1..=PAGE_MAX).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("limit must be between 1 and {PAGE_MAX}"),
            ));
        }
        self.read(move |conn| {
            let before_seq = match before.filter(|b| !b.is_empty()) {
                Some(id) => match messages::by_id(conn, &id)? {
                    Some(m) if m.conversation_id == conv.id => Some(m.seq),
                    _ => {
                        return Err(Error::invalid(
                            "cursor",
                            "cursor names no message of this conversation",
                        ))
                    }
                },
                None => None,
            };
            let mut rows = messages::newest_first(conn, &conv.id, before_seq, limit + 1)?;
            let has_more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let list = load(conn, &conv, rows)?;
            let next_cursor = if has_more {
                list.last().map(|m| m.id.to_string())
            } else {
                None
            };
            Ok(Page {
                messages: list,
                has_more,
                next_cursor,
            })
        })
        .await
    }
}

/// The inbox entry and notification of a direct message, and the mention notifications of any
/// message: each mentioned agent once, never the author.
fn deliver_notices(
    conn: &mut Conn,
    conv: &Conversation,
    m: &Message,
    subject: Option<String>,
    context: Option<MentionContext>,
    limits: &Limits,
    events: &mut Vec<Event>,
) -> Result<()> {
    let snippet: String = m.content.chars().take(100).collect();
    if conv.kind == ConversationKind::Dm {
        for other in conv.participants.iter().filter(|p| **p != m.author.id) {
            inbox::insert(
                conn,
                &InboxRow {
                    message_id: m.id.to_string(),
                    recipient_id: other.to_string(),
                    sender_id: m.author.id.to_string(),
                    subject: subject.clone(),
                    created_at: m.created_at,
                    read_at: None,
                    deleted_at: None,
                },
            )?;
            if let Some(u) = users::by_id(conn, other)?.map(User::from) {
                let notice = Notice::InboxMessage {
                    message_id: m.id.to_string(),
                    from: Actor::from(&m.author),
                    subject: subject.clone(),
                    preview: snippet.clone(),
                };
                notify(conn, &u, notice, limits, events)?;
            }
        }
    }
    let mentioned: Vec<String> = m
        .mention_ids
        .iter()
        .filter(|id| **id != m.author.id)
        .map(ToString::to_string)
        .collect();
    if mentioned.is_empty() {
        return Ok(());
    }
    let context = context.unwrap_or(match conv.kind {
        ConversationKind::Panel => MentionContext::Panel,
        _ => MentionContext::Session,
    });
    let mut targets = users::by_ids(conn, &mentioned)?;
    // One order for every writer: on PostgreSQL each notification locks its recipient's queue
    // row, and two writers taking the same rows in opposite orders would deadlock.
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    for u in targets.into_iter().map(User::from) {
        let notice = Notice::Mention {
            context,
            message_id: m.id.to_string(),
            by: Actor::from(&m.author),
            snippet: snippet.clone(),
        };
        notify(conn, &u, notice, limits, events)?;
    }
    Ok(())
}

/// Messages from rows, with their authors.
pub(crate) fn load(
    conn: &mut Conn,
    conv: &Conversation,
    rows: Vec<MessageRow>,
) -> Result<Vec<Message>> {
    load_parts(conn, conv.kind, conv.group_id.clone(), rows)
}

/// Messages from rows, with their authors, given what they need of their conversation.
pub(crate) fn load_parts(
    conn: &mut Conn,
    kind: ConversationKind,
    group: Option<GroupId>,
    rows: Vec<MessageRow>,
) -> Result<Vec<Message>> {
    let mut author_ids: Vec<String> = rows.iter().map(|r| r.author_id.clone()).collect();
    author_ids.sort();
    author_ids.dedup();
    let authors: Vec<User> = users::by_ids(conn, &author_ids)?
        .into_iter()
        .map(User::from)
        .collect();
    rows.into_iter()
        .map(|r| {
            let author = authors
                .iter()
                .find(|a| a.id == r.author_id)
                .cloned()
                .ok_or_else(|| Error::Internal("message author missing".into()))?;
            Ok(Message::from_parts(r, kind, group.clone(), author))
        })
        .collect()
}

/// Turns written mentions into user ids (and the usernames that matched).
fn resolve_mentions(
    conn: &mut Conn,
    found: &mentions::Mentions,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut ids: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    if !found.names.is_empty() {
        let by_name = users::by_usernames(conn, &found.names)?;
        // `@<id>` is accepted too when no username matches.
        let unmatched: Vec<String> = found
            .names
            .iter()
            .filter(|n| {
                !by_name.iter().any(|u| {
                    u.username
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(n))
                })
            })
            .cloned()
            .collect();
        let (by_id, by_display, by_slug) = if unmatched.is_empty() {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            // A site slug, `@<id>` and an agent's name (one word) are accepted when no username
            // matches.
            let lowered: Vec<String> = unmatched.iter().map(|n| n.to_lowercase()).collect();
            (
                users::by_ids(conn, &unmatched)?,
                users::by_display_names(conn, &unmatched)?,
                sites::by_slugs(conn, &lowered)?,
            )
        };
        for n in &found.names {
            if let Some(u) = by_name.iter().find(|u| {
                u.username
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(n))
            }) {
                if !ids.contains(&u.id) {
                    ids.push(u.id.clone());
                }
                if let Some(un) = &u.username {
                    if !names.contains(un) {
                        names.push(un.clone());
                    }
                }
            } else if let Some(site) = by_slug.iter().find(|s| s.slug.eq_ignore_ascii_case(n)) {
                if !ids.contains(&site.owner_id) {
                    ids.push(site.owner_id.clone());
                }
            } else if let Some(u) = by_id.iter().find(|u| &u.id == n).or_else(|| {
                by_display
                    .iter()
                    .find(|u| u.display_name.eq_ignore_ascii_case(n))
            }) {
                if !ids.contains(&u.id) {
                    ids.push(u.id.clone());
                }
            }
        }
    }
    if !found.ids.is_empty() {
        let known = users::by_ids(conn, &found.ids)?;
        for id in &found.ids {
            if known.iter().any(|u| &u.id == id) && !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    Ok((ids, names))
}
