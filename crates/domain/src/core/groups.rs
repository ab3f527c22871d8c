//! Groups, their panels (channels) and invites, and who may see or post where.

use serde_json::Value;

use super::clock::now_ms;
use super::ids::UserId;
use super::messages::{NewMessage, Page};
use super::model::{ConversationStatus, Group, Message, Panel, User, PANEL_TEXT};
use super::{check_metadata, check_name, ids, Core, Error, Result};
use crate::store::models::{ConversationRow, GroupMemberRow, InviteRow, PanelRow, ParticipantRow};
use crate::store::queries::{conversations, groups, invites};
use crate::store::Conn;

/// A group as one member sees it: the panels visible to them and the members.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: Group,
    pub panels: Vec<Panel>,
    pub members: Vec<User>,
}

/// A request to create a panel.
#[derive(Debug, Clone, Default)]
pub struct NewPanel {
    /// The group; the caller's first group when absent.
    pub group_id: Option<String>,
    pub name: String,
    /// 0 text (default), 1 folder, 2 plugin.
    pub panel_type: Option<i64>,
    pub description: Option<String>,
    /// Public by default.
    pub is_public: Option<bool>,
    pub parent_id: Option<String>,
    pub provider: Option<String>,
    pub plugin_panel_name: Option<String>,
    pub meta: Option<Value>,
    /// Further members of a private panel (the creator is always one).
    pub members: Vec<String>,
}

/// Changes to a panel; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct PanelChanges {
    pub name: Option<String>,
    pub panel_type: Option<i64>,
    pub description: Option<String>,
    pub is_public: Option<bool>,
    pub meta: Option<Value>,
}

/// An invite to a group.
#[derive(Debug, Clone)]
pub struct Invite {
    pub code: String,
    pub group_id: String,
    pub kind: InviteKind,
    pub expires_at: Option<i64>,
}

/// How long an invite lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteKind {
    /// Expires after a week.
    Normal,
    /// Never expires.
    Permanent,
}

impl InviteKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            InviteKind::Normal => "normal",
            InviteKind::Permanent => "permanent",
        }
    }

    /// The kind a name stands for.
    pub fn parse(s: &str) -> Option<InviteKind> {
        [InviteKind::Normal, InviteKind::Permanent]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// How long a normal invite lasts.
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

fn check_panel_type(t: i64) -> Result<i32> {
    match t {
        0..=2 => Ok(t as i32),
        _ => Err(Error::invalid(
            "type",
            "type must be 0 (text), 1 (group) or 2 (plugin)",
        )),
    }
}

impl Core {
    /// The caller's view of a group (their first group when none is named).
    pub async fn group_view(&self, caller: &User, group_id: Option<String>) -> Result<GroupView> {
        let caller_id = caller.id.clone();
        self.read(move |conn| {
            let group = caller_group(conn, &caller_id, group_id.as_deref())?;
            let panels = visible_panels(conn, &group.id, &caller_id)?;
            let members = groups::members(conn, &group.id)?
                .into_iter()
                .map(User::from)
                .collect();
            Ok(GroupView {
                group,
                panels,
                members,
            })
        })
        .await
    }

    /// Creates a panel in a group the caller belongs to; returns it and the group's panels.
    pub async fn create_panel(&self, caller: &User, req: NewPanel) -> Result<(Panel, Vec<Panel>)> {
        let limits = self.limits().clone();
        let name = check_name("name", &req.name, &limits)?;
        let panel_type = check_panel_type(req.panel_type.unwrap_or(PANEL_TEXT as i64))?;
        let meta = check_metadata("meta", &req.meta, &limits)?;
        if let Some(d) = &req.description {
            if d.chars().count() > 1000 {
                return Err(Error::invalid(
                    "description",
                    "description exceeds the 1000-character limit",
                ));
            }
        }
        if req.members.len() > limits.max_ids_per_request {
            return Err(Error::TooLarge(format!(
                "members exceeds the limit of {} ids per request",
                limits.max_ids_per_request
            )));
        }
        let caller_id = caller.id.clone();
        self.commit(move |conn| {
            let group = caller_group(conn, &caller_id, req.group_id.as_deref())?;
            let now = now_ms();
            let is_public = req.is_public.unwrap_or(true);
            let conv = ConversationRow {
                id: ids::unguessable_object_id(),
                kind: "panel".into(),
                name: Some(name),
                workspace_id: group.workspace_id.to_string(),
                group_id: Some(group.id.to_string()),
                visibility: if is_public {
                    "public".into()
                } else {
                    "private".into()
                },
                status: ConversationStatus::Active.as_str().into(),
                metadata: None,
                dm_key: None,
                last_seq: 0,
                created_by: Some(caller_id.to_string()),
                created_at: now,
                updated_at: now,
            };
            conversations::insert(conn, &conv)?;
            conversations::insert_panel(
                conn,
                &PanelRow {
                    conversation_id: conv.id.clone(),
                    panel_type,
                    is_public,
                    description: req.description,
                    parent_id: req.parent_id,
                    provider: req.provider,
                    plugin_panel_name: req.plugin_panel_name,
                    meta,
                },
            )?;
            if !is_public {
                let mut members = vec![caller_id.clone()];
                for m in req.members {
                    if !groups::is_member(conn, &group.id, &m)? {
                        return Err(Error::invalid(
                            "members",
                            format!("member {m} does not belong to the group"),
                        ));
                    }
                    if !members.iter().any(|x| *x == m) {
                        members.push(m.into());
                    }
                }
                let rows: Vec<ParticipantRow> = members
                    .into_iter()
                    .map(|u| ParticipantRow {
                        conversation_id: conv.id.clone(),
                        user_id: u.to_string(),
                        added_at: now,
                    })
                    .collect();
                conversations::add_participants(conn, &rows)?;
            }
            let panel = load_panel(conn, &conv.id)?;
            let all = visible_panels(conn, &group.id, &caller_id)?;
            Ok(((panel, all), vec![]))
        })
        .await
    }

    /// A panel the caller may read.
    pub async fn panel(&self, caller: &UserId, id: &str) -> Result<Panel> {
        let (caller_id, id) = (caller.clone(), id.to_string());
        self.read(move |conn| panel_for(conn, &caller_id, &id))
            .await
    }

    /// Posts a message to a text panel the caller may write to.
    pub async fn send_to_panel(
        &self,
        caller: &User,
        id: &str,
        msg: NewMessage,
    ) -> Result<(Panel, Message)> {
        self.check_message(&msg)?;
        // The town square is one conversation on both wires, with one chat rate per agent.
        if id == super::TOWN_SQUARE {
            self.check_chat_rate(&caller.id).await?;
        }
        let (author, id, limits) = (caller.clone(), id.to_string(), self.limits().clone());
        self.commit(move |conn| {
            let panel = panel_for(conn, &author.id, &id)?;
            if panel.panel_type != PANEL_TEXT {
                return Err(Error::invalid(
                    "panel",
                    "panel is not a text panel; messages go to type 0 panels",
                ));
            }
            let mut events = Vec::new();
            let m = Self::post(
                conn,
                &panel.conversation,
                &author,
                msg,
                &limits,
                &mut events,
            )?;
            Ok(((panel, m), events))
        })
        .await
    }

    /// A page of a panel's history, newest first.
    pub async fn panel_history(
        &self,
        caller: &User,
        id: &str,
        before: Option<String>,
        limit: Option<i64>,
    ) -> Result<(Panel, Page)> {
        let panel = self.panel(&caller.id, id).await?;
        let page = self
            .history(panel.conversation.clone(), before, limit)
            .await?;
        Ok((panel, page))
    }

    /// Changes a panel; only its creator may.
    pub async fn modify_panel(
        &self,
        caller: &User,
        id: &str,
        changes: PanelChanges,
    ) -> Result<Panel> {
        let limits = self.limits().clone();
        let name = changes
            .name
            .as_deref()
            .map(|n| check_name("name", n, &limits))
            .transpose()?;
        let panel_type = changes.panel_type.map(check_panel_type).transpose()?;
        let meta = check_metadata("meta", &changes.meta, &limits)?;
        let (caller_id, id) = (caller.id.clone(), id.to_string());
        self.commit(move |conn| {
            let panel = owned_panel(conn, &caller_id, &id)?;
            let now = now_ms();
            if let Some(n) = &name {
                conversations::set_name(conn, &panel.conversation.id, n, now)?;
            }
            let is_public = changes.is_public.unwrap_or(panel.is_public);
            conversations::update_panel(
                conn,
                &PanelRow {
                    conversation_id: panel.conversation.id.to_string(),
                    panel_type: panel_type.unwrap_or(panel.panel_type),
                    is_public,
                    description: changes.description.or(panel.description),
                    parent_id: panel.parent_id,
                    provider: panel.provider,
                    plugin_panel_name: panel.plugin_panel_name,
                    meta: meta.or_else(|| panel.meta.map(|m| m.to_string())),
                },
            )?;
            if !is_public {
                let rows = [ParticipantRow {
                    conversation_id: panel.conversation.id.to_string(),
                    user_id: caller_id.to_string(),
                    added_at: now,
                }];
                conversations::add_participants(conn, &rows)?;
            }
            conversations::touch(conn, &panel.conversation.id, now)?;
            Ok((load_panel(conn, &panel.conversation.id)?, vec![]))
        })
        .await
    }

    /// Deletes a panel; only its creator may. Its history is kept but no longer reachable.
    pub async fn delete_panel(&self, caller: &User, id: &str) -> Result<Panel> {
        let (caller_id, id) = (caller.id.clone(), id.to_string());
        self.commit(move |conn| {
            let panel = owned_panel(conn, &caller_id, &id)?;
            conversations::set_status(
                conn,
                &panel.conversation.id,
                ConversationStatus::Deleted.as_str(),
                now_ms(),
            )?;
            Ok((panel, vec![]))
        })
        .await
    }

    /// Creates an invite code to a group of the caller.
    pub async fn create_invite(
        &self,
        caller: &User,
        group_id: Option<String>,
        kind: Option<String>,
    ) -> Result<Invite> {
        let kind = match kind.as_deref() {
            None => InviteKind::Normal,
            Some(name) => InviteKind::parse(name).ok_or_else(|| {
                Error::invalid("invite_type", "invite_type must be normal or permanent")
            })?,
        };
        let caller_id = caller.id.clone();
        self.commit(move |conn| {
            let group = caller_group(conn, &caller_id, group_id.as_deref())?;
            let now = now_ms();
            let row = InviteRow {
                code: ids::invite_code(),
                group_id: group.id.to_string(),
                expires_at: (kind == InviteKind::Normal).then_some(now + INVITE_TTL_MS),
                kind: kind.as_str().to_string(),
                created_by: caller_id.to_string(),
                created_at: now,
            };
            invites::insert(conn, &row)?;
            Ok((
                Invite {
                    code: row.code,
                    group_id: row.group_id,
                    kind,
                    expires_at: row.expires_at,
                },
                vec![],
            ))
        })
        .await
    }

    /// Joins the caller to the group of an invite; joining again changes nothing.
    pub async fn join_by_invite(&self, caller: &User, code: &str) -> Result<Group> {
        let code = code.trim().to_string();
        if code.is_empty() {
            return Err(Error::invalid("code", "code is required"));
        }
        let caller_id = caller.id.clone();
        self.commit(move |conn| {
            let now = now_ms();
            let invite = invites::by_code(conn, &code)?
                .filter(|i| i.expires_at.is_none_or(|e| e > now))
                .ok_or_else(|| Error::NotFound("invite not found or expired".into()))?;
            groups::add_member(
                conn,
                &GroupMemberRow {
                    group_id: invite.group_id.clone(),
                    user_id: caller_id.to_string(),
                    joined_at: now,
                },
            )?;
            Ok((load_group(conn, &invite.group_id)?, vec![]))
        })
        .await
    }
}

fn load_group(conn: &mut Conn, id: &str) -> Result<Group> {
    let row = groups::by_id(conn, id)?.ok_or_else(|| Error::NotFound("group not found".into()))?;
    let ws = groups::workspace(conn, &row.workspace_id)?
        .map(|w| w.name)
        .unwrap_or_default();
    Ok(Group::from_row(row, ws))
}

/// The named group (which the caller must belong to), or the caller's first group.
fn caller_group(conn: &mut Conn, caller: &str, hint: Option<&str>) -> Result<Group> {
    match hint.filter(|h| !h.is_empty()) {
        Some(id) => {
            let group = load_group(conn, id)?;
            if !groups::is_member(conn, id, caller)? {
                return Err(Error::Forbidden("not a member of this group".into()));
            }
            Ok(group)
        }
        None => {
            let row = groups::of_user(conn, caller)?
                .into_iter()
                .next()
                .ok_or_else(|| Error::NotFound("the agent belongs to no group".into()))?;
            load_group(conn, &row.id)
        }
    }
}

fn load_panel(conn: &mut Conn, id: &str) -> Result<Panel> {
    let (c, p) = conversations::panel(conn, id)?
        .filter(|(c, _)| c.status != ConversationStatus::Deleted.as_str())
        .ok_or_else(|| Error::NotFound("panel not found".into()))?;
    let members = if p.is_public {
        Vec::new()
    } else {
        conversations::participant_ids(conn, &c.id)?
    };
    Ok(Panel::from_rows(c, p, members))
}

/// A panel the caller may read and post to: a member of its group, and of it if private.
pub(super) fn panel_for(conn: &mut Conn, caller: &str, id: &str) -> Result<Panel> {
    let panel = load_panel(conn, id)?;
    if !groups::is_member(conn, panel.group_id(), caller)? {
        return Err(Error::Forbidden(
            "not a member of this panel's group".into(),
        ));
    }
    if !panel.is_public && !panel.conversation.participants.iter().any(|p| p == caller) {
        return Err(Error::Forbidden(
            "this panel is private to its members".into(),
        ));
    }
    Ok(panel)
}

/// A panel the caller created.
fn owned_panel(conn: &mut Conn, caller: &str, id: &str) -> Result<Panel> {
    let panel = panel_for(conn, caller, id)?;
    if panel.conversation.created_by.as_deref() != Some(caller) {
        return Err(Error::Forbidden(
            "only the panel's creator may change or delete it".into(),
        ));
    }
    Ok(panel)
}

/// The live panels of a group the caller may see: public ones and private ones they belong to.
pub(super) fn visible_panels(conn: &mut Conn, group_id: &str, caller: &str) -> Result<Vec<Panel>> {
    let rows = conversations::panels_of_group(conn, group_id)?;
    let private: Vec<String> = rows
        .iter()
        .filter(|(_, p)| !p.is_public)
        .map(|(c, _)| c.id.clone())
        .collect();
    let mine = if private.is_empty() {
        Vec::new()
    } else {
        conversations::member_of(conn, &private, caller)?
    };
    let pairs = if mine.is_empty() {
        Vec::new()
    } else {
        conversations::participant_pairs(conn, &mine)?
    };
    Ok(rows
        .into_iter()
        .filter(|(c, p)| p.is_public || mine.contains(&c.id))
        .map(|(c, p)| {
            let members = pairs
                .iter()
                .filter(|(id, _)| id == &c.id)
                .map(|(_, u)| u.clone())
                .collect();
            Panel::from_rows(c, p, members)
        })
        .collect())
}

impl Core {
    /// The ids of the groups a user belongs to.
    pub async fn groups_of(&self, user: &UserId) -> Result<Vec<String>> {
        let id = user.clone();
        self.read(move |conn| {
            Ok(groups::of_user(conn, &id)?
                .into_iter()
                .map(|g| g.id)
                .collect())
        })
        .await
    }

    /// The caller's first group and every text panel of it the caller may see.
    pub async fn text_panels(&self, caller: &UserId) -> Result<(String, Vec<String>)> {
        let caller_id = caller.clone();
        self.read(move |conn| {
            let group = caller_group(conn, &caller_id, None)?;
            let ids = visible_panels(conn, &group.id, &caller_id)?
                .into_iter()
                .filter(|p| p.panel_type == PANEL_TEXT)
                .map(|p| p.conversation.id.to_string())
                .collect();
            Ok((group.id.to_string(), ids))
        })
        .await
    }
}
