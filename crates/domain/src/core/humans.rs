//! What a human sees and does in the web client: their conversations with unread counts,
//! history by seq, posting, read marks, people to mention, the agents they own, and the
//! operator's suspensions. Every read goes through the same visibility rules as the agents'
//! wires: a session's participants, a panel's group (and its members when private).

use super::clock::now_ms;
use super::groups::{panel_for, visible_panels};
use super::messages::{load, NewMessage};
use super::model::{Conversation, ConversationKind, Message, User, PANEL_TEXT};
use super::sessions::{load_session, sessions_of};
use super::{Core, Error, Event, NewSession, ParticipantRef, Result, TOWN_SQUARE};
use crate::store::queries::{conversations, groups, messages, read_marks, suspensions};
use crate::store::queries::{tokens, users};
use crate::store::Conn;

/// One entry of a human's conversation list.
#[derive(Debug, Clone)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    /// The session or panel name; for a DM, the other one's name.
    pub title: String,
    /// Whether this is the town square.
    pub is_square: bool,
    /// The other participant of a DM.
    pub peer: Option<User>,
    /// The newest message.
    pub last: Option<Message>,
    /// The seq the human has read up to.
    pub read_seq: i64,
}

/// An agent as its owner or an operator sees it.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub agent: User,
    pub suspended: bool,
    /// The owner's email, when bound.
    pub owner_email: Option<String>,
}

/// A page of messages, oldest first, with the messages its replies answer.
#[derive(Debug, Clone)]
pub struct Thread {
    pub messages: Vec<Message>,
    /// Whether more lie beyond the page in the direction read.
    pub has_more: bool,
    /// The messages that messages of the page reply to.
    pub quoted: Vec<Message>,
}

/// Largest page of history the web client reads at once.
pub const PAGE_MAX: i64 = 100;
/// Most sessions in a conversation list.
const LIST_MAX: i64 = 500;
/// Most agents in the operator's list.
const AGENTS_MAX: i64 = 1000;
/// Most people a mention search returns.
const PEOPLE_MAX: usize = 10;

/// A conversation the caller may read: a session they take part in, or a panel of their group
/// (and of its members when private).
fn readable(conn: &mut Conn, caller: &str, id: &str) -> Result<Conversation> {
    let row = conversations::by_id(conn, id)?
        .ok_or_else(|| Error::NotFound("conversation not found".into()))?;
    if row.kind == ConversationKind::Panel.as_str() {
        let panel = panel_for(conn, caller, id)?;
        if panel.panel_type != PANEL_TEXT {
            return Err(Error::NotFound("conversation not found".into()));
        }
        return Ok(panel.conversation);
    }
    load_session(conn, caller, id)
}

/// The title of a conversation for one viewer.
fn title_of(conv: &Conversation, people: &[User], viewer: &str) -> String {
    if let Some(n) = conv.name.as_deref().filter(|n| !n.is_empty()) {
        return n.to_string();
    }
    let others: Vec<&str> = conv
        .participants
        .iter()
        .filter(|p| *p != viewer)
        .filter_map(|p| people.iter().find(|u| &u.id == p))
        .map(|u| u.display_name.as_str())
        .collect();
    if others.is_empty() {
        "(just you)".into()
    } else {
        others.join(", ")
    }
}

fn summarize(
    conn: &mut Conn,
    convs: Vec<Conversation>,
    viewer: &str,
) -> Result<Vec<ConversationSummary>> {
    let ids: Vec<String> = convs.iter().map(|c| c.id.to_string()).collect();
    let marks = read_marks::of_user(conn, viewer, &ids)?;
    let mut people_ids: Vec<String> = convs
        .iter()
        .filter(|c| c.kind != ConversationKind::Panel)
        .flat_map(|c| c.participants.iter().map(ToString::to_string))
        .collect();
    people_ids.sort();
    people_ids.dedup();
    let people: Vec<User> = users::by_ids(conn, &people_ids)?
        .into_iter()
        .map(User::from)
        .collect();
    let mut out = Vec::with_capacity(convs.len());
    for conv in convs {
        let rows = messages::newest_first(conn, &conv.id, None, 1)?;
        let last = load(conn, &conv, rows)?.into_iter().next();
        let peer = (conv.kind == ConversationKind::Dm)
            .then(|| {
                conv.participants
                    .iter()
                    .find(|p| *p != viewer)
                    .and_then(|p| people.iter().find(|u| &u.id == p))
                    .cloned()
            })
            .flatten();
        let read_seq = marks
            .iter()
            .find(|(c, _)| c == &conv.id)
            .map_or(0, |(_, s)| *s);
        out.push(ConversationSummary {
            title: title_of(&conv, &people, viewer),
            is_square: conv.id == TOWN_SQUARE,
            peer,
            last,
            read_seq,
            conversation: conv,
        });
    }
    Ok(out)
}

fn recency(s: &ConversationSummary) -> i64 {
    s.last
        .as_ref()
        .map_or(s.conversation.updated_at, |m| m.created_at)
}

/// The messages of `conv` that `of` reply to.
fn quoted_by(conn: &mut Conn, conv: &Conversation, of: &[Message]) -> Result<Vec<Message>> {
    let mut rows = Vec::new();
    for id in of.iter().filter_map(|m| m.reply_to.as_deref()) {
        if rows
            .iter()
            .any(|r: &crate::store::models::MessageRow| r.id == id)
        {
            continue;
        }
        if let Some(r) = messages::by_id(conn, id)?.filter(|r| r.conversation_id == conv.id) {
            rows.push(r);
        }
    }
    load(conn, conv, rows)
}

/// An agent the caller owns; anyone else's agent reads as not found.
fn owned_agent(conn: &mut Conn, owner: &str, agent: &str) -> Result<User> {
    users::by_id(conn, agent)?
        .map(User::from)
        .filter(|u| u.is_agent() && u.owner_id.as_deref() == Some(owner))
        .ok_or_else(|| Error::NotFound("no agent of yours has this id".into()))
}

impl Core {
    /// The caller's conversations, most recent first: sessions, then the text panels of their
    /// groups they may see.
    pub async fn conversations_of(&self, caller: &User) -> Result<Vec<ConversationSummary>> {
        let viewer = caller.id.clone();
        self.read(move |conn| {
            let mut convs = sessions_of(conn, &viewer, None, LIST_MAX)?;
            for group in groups::of_user(conn, &viewer)? {
                convs.extend(
                    visible_panels(conn, &group.id, &viewer)?
                        .into_iter()
                        .filter(|p| p.panel_type == PANEL_TEXT)
                        .map(|p| p.conversation),
                );
            }
            let mut list = summarize(conn, convs, &viewer)?;
            list.sort_by_key(|s| std::cmp::Reverse(recency(s)));
            Ok(list)
        })
        .await
    }

    /// One conversation the caller may read, summarized, with its members' profiles (a public
    /// panel lists no members: its audience is the whole group).
    pub async fn conversation_of(
        &self,
        caller: &User,
        id: &str,
    ) -> Result<(ConversationSummary, Vec<User>)> {
        let (viewer, id) = (caller.id.clone(), id.to_string());
        self.read(move |conn| {
            let conv = readable(conn, &viewer, &id)?;
            let members = super::identity::users_in_order(conn, &conv.participants)?;
            let summary = summarize(conn, vec![conv], &viewer)?
                .pop()
                .ok_or_else(|| Error::Internal("summary missing".into()))?;
            Ok((summary, members))
        })
        .await
    }

    /// Messages of a conversation the caller may read, oldest first: those after seq `after`,
    /// or else the page before seq `before` (the newest page without either).
    pub async fn conversation_messages(
        &self,
        caller: &User,
        id: &str,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Thread> {
        if !(1..=PAGE_MAX).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("limit must be between 1 and {PAGE_MAX}"),
            ));
        }
        let (viewer, id) = (caller.id.clone(), id.to_string());
        self.read(move |conn| {
            let conv = readable(conn, &viewer, &id)?;
            let mut rows = match after {
                Some(seq) => messages::after_seq(conn, &conv.id, seq, limit + 1)?,
                None => messages::newest_first(conn, &conv.id, before, limit + 1)?,
            };
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            if after.is_none() {
                rows.reverse();
            }
            let messages = load(conn, &conv, rows)?;
            let quoted = quoted_by(conn, &conv, &messages)?;
            Ok(Thread {
                messages,
                has_more: more,
                quoted,
            })
        })
        .await
    }

    /// The message a message replies to, if any (for live delivery, where the caller's right
    /// to see the conversation is already settled by the audience).
    pub async fn quoted(&self, m: &Message) -> Result<Option<Message>> {
        if m.reply_to.is_none() {
            return Ok(None);
        }
        let m = m.clone();
        self.read(move |conn| {
            let Some(row) = conversations::by_id(conn, &m.conversation_id)? else {
                return Ok(None);
            };
            let conv = Conversation::from_row(row, Vec::new());
            Ok(quoted_by(conn, &conv, std::slice::from_ref(&m))?.pop())
        })
        .await
    }

    /// Posts to any conversation the caller may read: a session or a text panel.
    pub async fn post_to_conversation(
        &self,
        caller: &User,
        id: &str,
        msg: NewMessage,
    ) -> Result<Message> {
        let (viewer, key) = (caller.id.clone(), id.to_string());
        let conv = self.read(move |conn| readable(conn, &viewer, &key)).await?;
        match conv.kind {
            ConversationKind::Panel => Ok(self.send_to_panel(caller, id, msg).await?.1),
            _ => self.send_to_session(caller, id, msg).await,
        }
    }

    /// Marks a conversation read up to `seq` (at most its newest message; never backwards).
    pub async fn mark_read(&self, caller: &User, id: &str, seq: i64) -> Result<i64> {
        if seq < 0 {
            return Err(Error::invalid("seq", "seq must not be negative"));
        }
        let (viewer, id) = (caller.id.clone(), id.to_string());
        self.commit(move |conn| {
            let conv = readable(conn, &viewer, &id)?;
            let seq = seq.min(conversations::last_seq(conn, &conv.id)?);
            read_marks::advance(conn, &viewer, &conv.id, seq)?;
            Ok((seq, vec![]))
        })
        .await
    }

    /// People whose username or name starts with `prefix`, for mention suggestions: members of
    /// `conversation` (when given and readable) first, then anyone; never the caller.
    pub async fn people(
        &self,
        caller: &User,
        prefix: &str,
        conversation: Option<String>,
    ) -> Result<Vec<User>> {
        let prefix = prefix.trim().trim_start_matches('@').to_lowercase();
        if prefix.chars().count() > 50 {
            return Err(Error::invalid("q", "q exceeds the 50-character limit"));
        }
        let viewer = caller.id.clone();
        self.read(move |conn| {
            let mut found: Vec<User> = Vec::new();
            if let Some(id) = conversation {
                let conv = readable(conn, &viewer, &id)?;
                let members = match (&conv.kind, conv.participants.is_empty(), &conv.group_id) {
                    (ConversationKind::Panel, true, Some(g)) => groups::members(conn, g)?,
                    _ => users::by_ids(conn, &conv.participants)?,
                };
                found.extend(members.into_iter().map(User::from).filter(|u| {
                    let name = u.username.as_deref().unwrap_or_default().to_lowercase();
                    u.username.is_some()
                        && (name.starts_with(&prefix)
                            || u.display_name.to_lowercase().starts_with(&prefix))
                }));
            }
            found.extend(
                users::by_prefix(conn, &prefix, (PEOPLE_MAX * 2) as i64)?
                    .into_iter()
                    .map(User::from),
            );
            let mut seen = std::collections::HashSet::new();
            found.retain(|u| u.id != viewer && seen.insert(u.id.clone()));
            found.truncate(PEOPLE_MAX);
            Ok(found)
        })
        .await
    }

    /// Opens (or reuses) the DM of the caller and the user with this username.
    pub async fn open_dm(&self, caller: &User, username: &str) -> Result<ConversationSummary> {
        let username = username.trim().trim_start_matches('@').to_string();
        if username.is_empty() {
            return Err(Error::invalid("username", "username is required"));
        }
        let req = NewSession {
            participants: vec![ParticipantRef::Username(username)],
            kind: Some("dm".into()),
            ..NewSession::default()
        };
        let (conv, _) = self.create_session(caller, req).await?;
        Ok(self.conversation_of(caller, &conv.id).await?.0)
    }

    /// The agents the caller owns.
    pub async fn agents_owned(&self, caller: &User) -> Result<Vec<AgentView>> {
        let (owner, email) = (caller.id.clone(), caller.email.clone());
        self.read(move |conn| {
            let agents: Vec<User> = users::agents_of(conn, &owner)?
                .into_iter()
                .map(User::from)
                .collect();
            let ids: Vec<String> = agents.iter().map(|a| a.id.to_string()).collect();
            let suspended = suspensions::suspended_among(conn, &ids)?;
            Ok(agents
                .into_iter()
                .map(|agent| AgentView {
                    suspended: suspended.iter().any(|s| *s == agent.id),
                    owner_email: email.clone(),
                    agent,
                })
                .collect())
        })
        .await
    }

    /// Gives an agent the caller owns a new token; the old ones stop working.
    pub async fn rotate_owned_token(&self, caller: &User, agent_id: &str) -> Result<String> {
        let (owner, id) = (caller.id.clone(), agent_id.to_string());
        let agent = self
            .read(move |conn| owned_agent(conn, &owner, &id))
            .await?;
        self.rotate_token(&agent).await
    }

    /// Lets go of an agent the caller owns.
    pub async fn unbind(&self, caller: &User, agent_id: &str) -> Result<()> {
        let (owner, id) = (caller.id.clone(), agent_id.to_string());
        self.commit(move |conn| {
            let agent = owned_agent(conn, &owner, &id)?;
            users::clear_owner(conn, &agent.id, now_ms())?;
            Ok(((), vec![]))
        })
        .await
    }

    /// Every agent with its state and owner (operators).
    pub async fn all_agents(&self) -> Result<Vec<AgentView>> {
        self.read(move |conn| {
            let agents: Vec<User> = users::agents(conn, AGENTS_MAX)?
                .into_iter()
                .map(User::from)
                .collect();
            let ids: Vec<String> = agents.iter().map(|a| a.id.to_string()).collect();
            let suspended = suspensions::suspended_among(conn, &ids)?;
            let mut owner_ids: Vec<String> = agents
                .iter()
                .filter_map(|a| a.owner_id.as_ref().map(ToString::to_string))
                .collect();
            owner_ids.sort();
            owner_ids.dedup();
            let owners = users::by_ids(conn, &owner_ids)?;
            Ok(agents
                .into_iter()
                .map(|agent| AgentView {
                    suspended: suspended.iter().any(|s| *s == agent.id),
                    owner_email: agent.owner_id.as_ref().and_then(|o| {
                        owners
                            .iter()
                            .find(|u| &u.id == o)
                            .and_then(|u| u.email.clone())
                    }),
                    agent,
                })
                .collect())
        })
        .await
    }

    /// Suspends an agent (operators): its tokens stop working and its live connections close.
    pub async fn suspend(&self, operator: &User, agent_id: &str) -> Result<()> {
        let (by, id) = (operator.id.clone(), agent_id.to_string());
        self.commit(move |conn| {
            let agent = users::by_id(conn, &id)?
                .map(User::from)
                .filter(User::is_agent)
                .ok_or_else(|| Error::NotFound("no agent has this id".into()))?;
            suspensions::insert(conn, &agent.id, &by, now_ms())?;
            let digests = tokens::digests_of(conn, &agent.id)?;
            Ok((
                (),
                vec![Event::CredentialsRevoked {
                    user_id: agent.id.to_string(),
                    digests,
                }],
            ))
        })
        .await
    }

    /// Lifts a suspension (operators): the agent's tokens work again.
    pub async fn resume(&self, agent_id: &str) -> Result<()> {
        let id = agent_id.to_string();
        self.commit(move |conn| {
            if suspensions::delete(conn, &id)? == 0 {
                return Err(Error::NotFound("no suspended agent has this id".into()));
            }
            Ok(((), vec![]))
        })
        .await
    }
}
