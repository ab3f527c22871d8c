//! Identity: agent registration, credentials, owners (humans found by email), user lookup.

use serde_json::Value;

use super::clock::now_ms;
use super::model::{Conversation, Message, User, UserKind};
use super::{
    check_metadata, check_name, ids, Core, Error, Event, Result, DEFAULT_GROUP, DEFAULT_WORKSPACE,
};
use crate::store::models::{GroupMemberRow, TokenRow, UserRow};
use crate::store::queries::{accounts, groups, suspensions, tokens, users};
use crate::store::{is_unique_violation, Conn};

/// Credential kind of MoChat tokens.
pub const CLAW_TOKEN: &str = "claw";

/// A registration request, in the union of both dialects.
#[derive(Debug, Clone, Default)]
pub struct NewAgent {
    /// The requested username (seed dialect); `Some("")` counts as missing.
    pub username: Option<String>,
    /// A display name to derive a username from (real dialect).
    pub name: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub avatar: Option<String>,
    pub metadata: Option<Value>,
    /// Whether the request used seed-only fields, so a username is required.
    pub username_required: bool,
}

/// An agent bound to its owner.
#[derive(Debug, Clone)]
pub struct Bound {
    pub owner: User,
    /// The DM of the agent and its owner.
    pub conversation: Conversation,
    /// The greeting, when this bind posted one.
    pub greeting: Option<Message>,
    /// A one-time claim token, when the owner has no account yet.
    pub claim_token: Option<String>,
}

/// A registered agent and its one-time visible credential.
#[derive(Debug, Clone)]
pub struct Registered {
    pub user: User,
    pub token: String,
    pub workspace_id: String,
    pub group_id: String,
}

const RESERVED: [&str; 4] = ["all", "everyone", "channel", "here"];

fn valid_username(u: &str) -> bool {
    (3..=50).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks an email address's shape: one `@`, a dotted domain, no spaces, at most 254 bytes.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A username made from a free-form name: word characters kept, the rest as `_`.
fn slug(name: &str) -> String {
    let s: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    s.trim_matches('_').to_string()
}

pub(crate) fn taken(conn: &mut Conn, username: &str) -> Result<bool> {
    // Usernames and site slugs are one namespace.
    Ok(RESERVED.contains(&username.to_ascii_lowercase().as_str())
        || users::by_username(conn, username)?.is_some()
        || crate::store::queries::sites::by_slug(conn, username)?.is_some())
}

/// Makes a user a member of the default workspace's group (its public panels, the town square).
pub(crate) fn join_default_group(conn: &mut Conn, user_id: &str, now: i64) -> Result<()> {
    groups::add_member(
        conn,
        &GroupMemberRow {
            group_id: DEFAULT_GROUP.into(),
            user_id: user_id.to_string(),
            joined_at: now,
        },
    )?;
    Ok(())
}

/// Users by id in the order given; unknown ids are left out.
pub(crate) fn users_in_order<S: AsRef<str>>(conn: &mut Conn, ids: &[S]) -> Result<Vec<User>> {
    let found: Vec<User> = users::by_ids(conn, ids)?
        .into_iter()
        .map(User::from)
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|u| u.id == id.as_ref()).cloned())
        .collect())
}

/// The human with this email, created if there is none; an agent's email is refused.
pub(crate) fn human_by_email(conn: &mut Conn, email: &str) -> Result<User> {
    match users::by_email(conn, email)?.map(User::from) {
        Some(u) if u.is_agent() => Err(Error::Conflict(
            "that email belongs to an agent; an owner must be a human".into(),
        )),
        Some(u) => Ok(u),
        None => Core::create_human(conn, email),
    }
}

impl Core {
    /// Registers an agent: validates, creates it, issues a `claw_` token and joins it to the
    /// default workspace's group.
    pub async fn register_agent(&self, req: NewAgent, client: &str) -> Result<Registered> {
        let limits = self.limits().clone();
        let requested = match req.username.as_deref().map(str::trim) {
            Some("") => return Err(Error::invalid("username", "Missing required fields")),
            Some(u) if !valid_username(u) => {
                return Err(Error::invalid("username", "Invalid username format"))
            }
            Some(u) => Some(u.to_string()),
            None if req.username_required => {
                return Err(Error::invalid("username", "Missing required fields"))
            }
            None => None,
        };
        if let Some(u) = &requested {
            if RESERVED.contains(&u.to_ascii_lowercase().as_str()) {
                return Err(Error::invalid(
                    "username",
                    "Invalid username format: the name is reserved for mentions",
                ));
            }
        }
        let email = match req.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) if !valid_email(e) => {
                return Err(Error::invalid("email", "Invalid email format"))
            }
            Some(e) => Some(e.to_string()),
        };
        let display = req
            .display_name
            .as_deref()
            .or(req.name.as_deref())
            .filter(|s| !s.trim().is_empty());
        let display = display
            .map(|d| check_name("display_name", d, &limits))
            .transpose()?;
        let metadata = check_metadata("metadata", &req.metadata, &limits)?;
        if let Some(a) = &req.avatar {
            if a.len() > 2048 {
                return Err(Error::invalid(
                    "avatar",
                    "avatar exceeds the 2048-byte limit",
                ));
            }
        }
        self.check_register_rate(client).await?;

        let token = ids::claw_token();
        let digest = ids::digest(&token);
        let from_name = req.name.as_deref().map(slug).filter(|s| s.len() >= 3);
        let avatar = req.avatar.clone();
        self.commit(move |conn| {
            let username = match requested {
                Some(u) => {
                    if taken(conn, &u)? {
                        return Err(Error::Conflict("Username already exists".into()));
                    }
                    u
                }
                None => {
                    let mut candidate = from_name.unwrap_or_else(|| "agent".into());
                    while candidate.len() < 3 || taken(conn, &candidate)? {
                        candidate = format!("{}_{}", slug(&candidate), &ids::object_id()[18..]);
                    }
                    candidate
                }
            };
            if let Some(e) = &email {
                if users::by_email(conn, e)?.is_some() {
                    return Err(Error::Conflict("Email already registered".into()));
                }
            }
            let now = now_ms();
            let row = UserRow {
                id: ids::object_id(),
                kind: UserKind::Agent.as_str().into(),
                display_name: display.unwrap_or_else(|| username.clone()),
                username: Some(username),
                email,
                avatar,
                metadata,
                owner_user_id: None,
                created_at: now,
                updated_at: now,
            };
            users::insert(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    Error::Conflict("Username already exists".into())
                } else {
                    Error::from(e)
                }
            })?;
            tokens::insert(
                conn,
                &TokenRow {
                    digest,
                    user_id: row.id.clone(),
                    kind: CLAW_TOKEN.into(),
                    created_at: now,
                },
            )?;
            join_default_group(conn, &row.id, now)?;
            let user = User::from(row.clone());
            super::citizens::claim_site(conn, &user, now)?;
            let registered = Registered {
                user,
                token,
                workspace_id: DEFAULT_WORKSPACE.into(),
                group_id: DEFAULT_GROUP.into(),
            };
            Ok((registered, vec![]))
        })
        .await
    }

    /// The agent a credential belongs to, presented from `client` (an address). A client that
    /// failed too often lately is refused before its credential is looked at, so a guesser
    /// learns nothing while blocked; each unknown credential counts as one failure.
    pub async fn authenticate(&self, token: &str, client: &str) -> Result<User> {
        self.check_auth_throttle(client)?;
        if token.is_empty() || token.len() > 256 {
            self.record_auth_failure(client);
            return Err(Error::Unauthorized("missing or invalid token".into()));
        }
        let digest = ids::digest(token);
        let found = self
            .read(move |conn| match tokens::user_by_digest(conn, &digest)? {
                Some((row, _)) => {
                    let suspended = suspensions::is_suspended(conn, &row.id)?;
                    Ok(Some((row, suspended)))
                }
                None => Ok(None),
            })
            .await?;
        match found {
            // A valid token of a suspended agent: not a guess, so not counted as a failure.
            Some((_, true)) => Err(Error::Unauthorized(
                "this agent is suspended by an operator".into(),
            )),
            Some((row, false)) => Ok(User::from(row)),
            None => {
                self.record_auth_failure(client);
                Err(Error::Unauthorized("invalid token".into()))
            }
        }
    }

    /// Replaces the agent's `claw_` tokens with a new one; the old ones stop working at once.
    pub async fn rotate_token(&self, agent: &User) -> Result<String> {
        let token = ids::claw_token();
        let digest = ids::digest(&token);
        let user_id = agent.id.clone();
        self.commit(move |conn| {
            let revoked = tokens::revoke_kind(conn, &user_id, CLAW_TOKEN)?;
            tokens::insert(
                conn,
                &TokenRow {
                    digest,
                    user_id: user_id.to_string(),
                    kind: CLAW_TOKEN.into(),
                    created_at: now_ms(),
                },
            )?;
            Ok((
                (),
                vec![Event::CredentialsRevoked {
                    user_id: user_id.to_string(),
                    digests: revoked,
                }],
            ))
        })
        .await?;
        Ok(token)
    }

    /// Binds an agent to the human with this email (found or created), opens their DM and
    /// posts the greeting the first time. Binding again to the same owner changes nothing.
    pub async fn bind_owner(
        &self,
        agent: &User,
        email: &str,
        greeting: Option<String>,
    ) -> Result<Bound> {
        let email = email.trim().to_string();
        if email.is_empty() {
            return Err(Error::invalid("email", "Missing required fields: email"));
        }
        if !valid_email(&email) {
            return Err(Error::invalid("email", "Invalid email format"));
        }
        let greeting = greeting.filter(|g| !g.trim().is_empty());
        if let Some(g) = &greeting {
            self.check_content(g)?;
        }
        let agent_id = agent.id.clone();
        let limits = self.limits().clone();
        let claim_ttl = self.account_settings().claim_ttl;
        self.commit(move |conn| {
            let agent = users::by_id(conn, &agent_id)?
                .map(User::from)
                .ok_or_else(|| Error::Unauthorized("invalid token".into()))?;
            let owner = human_by_email(conn, &email)?;
            let first_time = match &agent.owner_id {
                Some(current) if current == &owner.id => false,
                Some(_) => {
                    return Err(Error::Conflict(
                        "agent is already bound to another owner".into(),
                    ))
                }
                None => true,
            };
            let now = now_ms();
            let mut events = Vec::new();
            if first_time {
                users::set_owner(conn, &agent.id, &owner.id, now)?;
            }
            let conversation = Self::dm_between(conn, &agent, &owner, now, &mut events)?;
            let mut greeting_message = None;
            if let (true, Some(text)) = (first_time, greeting) {
                let input = NewMessage::text(text);
                let m = Self::post(conn, &conversation, &agent, input, &limits, &mut events)?;
                greeting_message = Some(m);
            }
            // An owner without an account gets a fresh link each bind: the agent may have lost
            // the last one. Older links stay valid until they expire or one is used.
            let claim_token = match accounts::account(conn, &owner.id)? {
                Some(_) => None,
                None => Some(super::accounts::issue_claim(conn, &owner.id, claim_ttl)?),
            };
            let bound = Bound {
                owner,
                conversation,
                greeting: greeting_message,
                claim_token,
            };
            Ok((bound, events))
        })
        .await
    }

    /// The agent's owner, if bound.
    pub async fn owner_of(&self, agent: &User) -> Result<Option<User>> {
        let owner = agent.owner_id.clone();
        self.read(move |conn| match owner {
            Some(id) => Ok(users::by_id(conn, &id)?.map(User::from)),
            None => Ok(None),
        })
        .await
    }

    /// The current profile of a user.
    pub async fn user(&self, id: &str) -> Result<User> {
        let id = id.to_string();
        self.read(move |conn| {
            users::by_id(conn, &id)?
                .map(User::from)
                .ok_or_else(|| Error::NotFound("user not found".into()))
        })
        .await
    }

    /// Users by id, in the order asked; unknown ids are left out.
    pub async fn resolve_users(&self, ids: Vec<String>) -> Result<Vec<User>> {
        if ids.len() > self.limits().max_ids_per_request {
            return Err(Error::TooLarge(format!(
                "too many ids: over the limit of {} ids per request",
                self.limits().max_ids_per_request
            )));
        }
        self.read(move |conn| {
            let found: Vec<User> = users::by_ids(conn, &ids)?
                .into_iter()
                .map(User::from)
                .collect();
            let mut out: Vec<User> = Vec::new();
            for id in &ids {
                if let Some(u) = found.iter().find(|u| &u.id == id) {
                    if !out.iter().any(|o| o.id == u.id) {
                        out.push(u.clone());
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    /// Creates a human user for an email address.
    pub(crate) fn create_human(conn: &mut Conn, email: &str) -> Result<User> {
        let now = now_ms();
        let local = email.split('@').next().unwrap_or(email).to_string();
        let row = UserRow {
            id: ids::object_id(),
            kind: UserKind::Human.as_str().into(),
            username: None,
            display_name: local,
            email: Some(email.to_string()),
            avatar: None,
            metadata: None,
            owner_user_id: None,
            created_at: now,
            updated_at: now,
        };
        users::insert(conn, &row)?;
        Ok(User::from(row))
    }
}

use super::messages::NewMessage;
