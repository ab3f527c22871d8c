//! Sessions: private conversations (dm and group) between users, and who may touch them.

use std::sync::Arc;

use serde_json::Value;

use super::clock::now_ms;
use super::ids::UserId;
use super::messages::{NewMessage, Page};
use super::model::{Conversation, ConversationKind, ConversationStatus, Message, User, Visibility};
use super::{check_metadata, check_name, ids, Core, Error, Event, Result, DEFAULT_WORKSPACE};
use crate::store::models::{ConversationRow, ParticipantRow};
use crate::store::queries::{conversations, users};
use crate::store::Conn;

/// How a request names a participant.
#[derive(Debug, Clone, PartialEq)]
pub enum ParticipantRef {
    /// A user id.
    Id(String),
    /// A human's email address (found or created).
    Email(String),
    /// A username.
    Username(String),
}

/// A request to create a session.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    pub participants: Vec<ParticipantRef>,
    pub name: Option<String>,
    /// `dm` or `group`; inferred from the count when absent.
    pub kind: Option<String>,
    pub visibility: Option<String>,
    pub metadata: Option<Value>,
}

/// Close policies a client may name.
const POLICIES: [&str; 3] = ["archive", "lock", "cleanup"];
/// Default and largest `sessions/list` page.
const LIST_DEFAULT: i64 = 200;
const LIST_MAX: i64 = 500;

impl Core {
    /// Creates a session with the caller and the named users; a dm between the same two users
    /// is reused. Returns the session and whether it is new.
    pub async fn create_session(
        &self,
        caller: &User,
        req: NewSession,
    ) -> Result<(Conversation, bool)> {
        let limits = self.limits().clone();
        if req.participants.len() > limits.max_participants {
            return Err(Error::TooLarge(format!(
                "participants exceeds the limit of {} per session",
                limits.max_participants
            )));
        }
        let visibility = match req.visibility.as_deref() {
            None => Visibility::Private,
            Some(name) => Visibility::parse(name).ok_or_else(|| {
                Error::invalid("visibility", "visibility must be private or public")
            })?,
        };
        if let Some(k) = &req.kind {
            if k != "dm" && k != "group" {
                return Err(Error::invalid("type", "type must be dm or group"));
            }
        }
        let name = req
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| check_name("name", n, &limits))
            .transpose()?;
        let metadata = check_metadata("metadata", &req.metadata, &limits)?;
        let caller = caller.clone();
        self.commit(move |conn| {
            let mut members = resolve_refs(conn, &req.participants)?;
            members.retain(|u| u.id != caller.id);
            members.insert(0, caller.clone());
            dedup_users(&mut members);
            if members.len() < 2 {
                return Err(Error::invalid(
                    "participants",
                    "participants must name at least one user besides the caller",
                ));
            }
            if members.len() > limits.max_participants {
                return Err(Error::TooLarge(format!(
                    "participants exceeds the limit of {} per session",
                    limits.max_participants
                )));
            }
            let kind = match req.kind.as_deref() {
                Some("dm") if members.len() != 2 => {
                    return Err(Error::invalid("type", "a dm has exactly two participants"));
                }
                Some("dm") => ConversationKind::Dm,
                Some(_) => ConversationKind::Group,
                None if members.len() == 2 => ConversationKind::Dm,
                None => ConversationKind::Group,
            };
            let now = now_ms();
            let mut events = Vec::new();
            if kind == ConversationKind::Dm {
                let key = dm_key(&members[0].id, &members[1].id);
                let existed = conversations::by_dm_key(conn, &key)?.is_some();
                let conv = Self::dm_between(conn, &members[0], &members[1], now, &mut events)?;
                return Ok(((conv, !existed), events));
            }
            let row = ConversationRow {
                id: ids::unguessable_object_id(),
                kind: kind.as_str().into(),
                name,
                workspace_id: DEFAULT_WORKSPACE.into(),
                group_id: None,
                visibility: visibility.as_str().to_string(),
                status: ConversationStatus::Active.as_str().into(),
                metadata,
                dm_key: None,
                last_seq: 0,
                created_by: Some(caller.id.to_string()),
                created_at: now,
                updated_at: now,
            };
            conversations::insert(conn, &row)?;
            let ids: Vec<String> = members.iter().map(|u| u.id.to_string()).collect();
            add_rows(conn, &row.id, &ids, now)?;
            let conv = Conversation::from_row(row, ids.clone());
            events.push(Event::ConversationJoined {
                conversation: Arc::new(conv.clone()),
                users: ids,
            });
            Ok(((conv, true), events))
        })
        .await
    }

    /// A session the caller takes part in.
    pub async fn session(&self, caller: &UserId, id: &str) -> Result<Conversation> {
        let (caller_id, id) = (caller.clone(), id.to_string());
        self.read(move |conn| load_session(conn, &caller_id, &id))
            .await
    }

    /// A session with its participants' profiles.
    pub async fn session_members(
        &self,
        caller: &User,
        id: &str,
    ) -> Result<(Conversation, Vec<User>)> {
        let (caller_id, id) = (caller.id.clone(), id.to_string());
        self.read(move |conn| {
            let conv = load_session(conn, &caller_id, &id)?;
            let members = super::identity::users_in_order(conn, &conv.participants)?;
            Ok((conv, members))
        })
        .await
    }

    /// The caller's sessions, most recently updated first.
    pub async fn list_sessions(
        &self,
        caller: &User,
        updated_after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<Conversation>> {
        let limit = limit.unwrap_or(LIST_DEFAULT);
        if !(1..=LIST_MAX).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("limit must be between 1 and {LIST_MAX}"),
            ));
        }
        let caller_id = caller.id.clone();
        self.read(move |conn| sessions_of(conn, &caller_id, updated_after, limit))
            .await
    }

    /// Posts a message to a session the caller takes part in.
    pub async fn send_to_session(
        &self,
        caller: &User,
        id: &str,
        msg: NewMessage,
    ) -> Result<Message> {
        self.check_message(&msg)?;
        let (author, id, limits) = (caller.clone(), id.to_string(), self.limits().clone());
        self.commit(move |conn| {
            let conv = load_session(conn, &author.id, &id)?;
            if conv.is_closed() {
                return Err(Error::Conflict(
                    "session is closed; it accepts no new messages".into(),
                ));
            }
            let mut events = Vec::new();
            let m = Self::post(conn, &conv, &author, msg, &limits, &mut events)?;
            Ok((m, events))
        })
        .await
    }

    /// A page of a session's history.
    pub async fn session_history(
        &self,
        caller: &User,
        id: &str,
        before: Option<String>,
        limit: Option<i64>,
    ) -> Result<(Conversation, Page)> {
        let conv = self.session(&caller.id, id).await?;
        let page = self.history(conv.clone(), before, limit).await?;
        Ok((conv, page))
    }

    /// Closes a session: it stays readable and accepts no new messages.
    pub async fn close_session(
        &self,
        caller: &User,
        id: &str,
        policy: Option<String>,
    ) -> Result<(Conversation, String)> {
        let policy = policy.unwrap_or_else(|| "archive".into());
        if !POLICIES.contains(&policy.as_str()) {
            return Err(Error::invalid(
                "policy",
                "policy must be archive, lock or cleanup",
            ));
        }
        let (caller_id, id) = (caller.id.clone(), id.to_string());
        self.commit(move |conn| {
            let mut conv = load_session(conn, &caller_id, &id)?;
            let now = now_ms();
            conversations::set_status(conn, &conv.id, ConversationStatus::Closed.as_str(), now)?;
            conv.status = ConversationStatus::Closed;
            conv.updated_at = now;
            Ok(((conv, policy), vec![]))
        })
        .await
    }

    /// Adds users to a group session.
    pub async fn add_participants(
        &self,
        caller: &User,
        id: &str,
        refs: Vec<ParticipantRef>,
    ) -> Result<Conversation> {
        self.check_ids_count("participants", refs.len())?;
        let (caller_id, id, limits) = (caller.id.clone(), id.to_string(), self.limits().clone());
        self.commit(move |conn| {
            let conv = load_changeable(conn, &caller_id, &id)?;
            let added: Vec<String> = resolve_refs(conn, &refs)?
                .into_iter()
                .map(|u| String::from(u.id))
                .filter(|u| !conv.participants.iter().any(|p| p == u))
                .fold(Vec::new(), |mut acc, u| {
                    if !acc.contains(&u) {
                        acc.push(u);
                    }
                    acc
                });
            if conv.participants.len() + added.len() > limits.max_participants {
                return Err(Error::TooLarge(format!(
                    "participants exceeds the limit of {} per session",
                    limits.max_participants
                )));
            }
            let now = now_ms();
            add_rows(conn, &conv.id, &added, now)?;
            conversations::touch(conn, &conv.id, now)?;
            let conv = load_session(conn, &caller_id, &id)?;
            let events = if added.is_empty() {
                vec![]
            } else {
                vec![Event::ConversationJoined {
                    conversation: Arc::new(conv.clone()),
                    users: added,
                }]
            };
            Ok((conv, events))
        })
        .await
    }

    /// Removes users from a group session; a group keeps at least one participant.
    pub async fn remove_participants(
        &self,
        caller: &User,
        id: &str,
        refs: Vec<ParticipantRef>,
    ) -> Result<Conversation> {
        self.check_ids_count("participants", refs.len())?;
        let (caller_id, id) = (caller.id.clone(), id.to_string());
        self.commit(move |conn| {
            let conv = load_changeable(conn, &caller_id, &id)?;
            let gone: Vec<String> = resolve_refs(conn, &refs)?
                .into_iter()
                .map(|u| String::from(u.id))
                .collect();
            let left = conv
                .participants
                .iter()
                .filter(|p| !gone.iter().any(|g| *g == **p))
                .count();
            if left == 0 {
                return Err(Error::Conflict(
                    "a group session cannot lose its last participant".into(),
                ));
            }
            let now = now_ms();
            conversations::remove_participants(conn, &conv.id, &gone)?;
            conversations::touch(conn, &conv.id, now)?;
            let mut conv = conv;
            conv.participants.retain(|p| !gone.iter().any(|g| g == p));
            conv.updated_at = now;
            Ok((conv, vec![]))
        })
        .await
    }

    pub(crate) fn check_ids_count(&self, field: &str, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::invalid(
                field,
                format!("{field} must name at least one user"),
            ));
        }
        if n > self.limits().max_ids_per_request {
            return Err(Error::TooLarge(format!(
                "{field} exceeds the limit of {} ids per request",
                self.limits().max_ids_per_request
            )));
        }
        Ok(())
    }

    /// The dm between two users, created on first use.
    pub(crate) fn dm_between(
        conn: &mut Conn,
        a: &User,
        b: &User,
        now: i64,
        events: &mut Vec<Event>,
    ) -> Result<Conversation> {
        let key = dm_key(&a.id, &b.id);
        if let Some(row) = conversations::by_dm_key(conn, &key)? {
            let members = conversations::participant_ids(conn, &row.id)?;
            return Ok(Conversation::from_row(row, members));
        }
        let row = ConversationRow {
            id: ids::unguessable_object_id(),
            kind: ConversationKind::Dm.as_str().into(),
            name: None,
            workspace_id: DEFAULT_WORKSPACE.into(),
            group_id: None,
            visibility: "private".into(),
            status: ConversationStatus::Active.as_str().into(),
            metadata: None,
            dm_key: Some(key),
            last_seq: 0,
            created_by: Some(a.id.to_string()),
            created_at: now,
            updated_at: now,
        };
        conversations::insert(conn, &row)?;
        let ids = vec![a.id.to_string(), b.id.to_string()];
        add_rows(conn, &row.id, &ids, now)?;
        let conv = Conversation::from_row(row, ids.clone());
        events.push(Event::ConversationJoined {
            conversation: Arc::new(conv.clone()),
            users: ids,
        });
        Ok(conv)
    }
}

/// The unique key of the dm between two users, whatever the order.
fn dm_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    }
}

fn dedup_users(list: &mut Vec<User>) {
    let mut seen: Vec<super::ids::UserId> = Vec::new();
    list.retain(|u| {
        if seen.contains(&u.id) {
            false
        } else {
            seen.push(u.id.clone());
            true
        }
    });
}

fn add_rows(conn: &mut Conn, conversation: &str, ids: &[String], now: i64) -> Result<()> {
    let rows: Vec<ParticipantRow> = ids
        .iter()
        .map(|u| ParticipantRow {
            conversation_id: conversation.into(),
            user_id: u.clone(),
            added_at: now,
        })
        .collect();
    Ok(conversations::add_participants(conn, &rows)?)
}

/// A user's sessions with their participants, most recently updated first.
pub(crate) fn sessions_of(
    conn: &mut Conn,
    user_id: &str,
    updated_after: Option<i64>,
    limit: i64,
) -> Result<Vec<Conversation>> {
    let rows = conversations::sessions_of(conn, user_id, updated_after, limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let pairs = conversations::participant_pairs(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let members = pairs
                .iter()
                .filter(|(c, _)| c == &r.id)
                .map(|(_, u)| u.clone())
                .collect();
            Conversation::from_row(r, members)
        })
        .collect())
}

/// Loads a session and checks that the caller takes part in it.
pub(crate) fn load_session(conn: &mut Conn, caller: &str, id: &str) -> Result<Conversation> {
    let row = conversations::by_id(conn, id)?
        .filter(|r| r.kind != ConversationKind::Panel.as_str())
        .ok_or_else(|| Error::NotFound("session not found".into()))?;
    let members = conversations::participant_ids(conn, &row.id)?;
    if !members.iter().any(|m| m == caller) {
        return Err(Error::Forbidden("not a participant of this session".into()));
    }
    Ok(Conversation::from_row(row, members))
}

/// Loads a group session whose participants may change.
fn load_changeable(conn: &mut Conn, caller: &str, id: &str) -> Result<Conversation> {
    let conv = load_session(conn, caller, id)?;
    if conv.kind == ConversationKind::Dm {
        return Err(Error::Conflict("a dm's participants cannot change".into()));
    }
    if conv.is_closed() {
        return Err(Error::Conflict(
            "session is closed; its participants cannot change".into(),
        ));
    }
    Ok(conv)
}

/// Finds the users a request names; humans named by email are created on first use.
fn resolve_refs(conn: &mut Conn, refs: &[ParticipantRef]) -> Result<Vec<User>> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let user = match r {
            ParticipantRef::Id(id) => users::by_id(conn, id)?.map(User::from),
            ParticipantRef::Username(name) => users::by_username(conn, name)?.map(User::from),
            ParticipantRef::Email(email) => {
                if !super::identity::valid_email(email) {
                    return Err(Error::invalid(
                        "participants",
                        format!("participant email {email:?} is not a valid address"),
                    ));
                }
                match users::by_email(conn, email)? {
                    Some(u) => Some(User::from(u)),
                    None => Some(Core::create_human(conn, email)?),
                }
            }
        };
        match user {
            Some(u) => out.push(u),
            None => {
                let what = match r {
                    ParticipantRef::Id(id) => id.clone(),
                    ParticipantRef::Username(n) | ParticipantRef::Email(n) => n.clone(),
                };
                return Err(Error::NotFound(format!("participant not found: {what}")));
            }
        }
    }
    Ok(out)
}
