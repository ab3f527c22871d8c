//! Human accounts: sign-up, one-time claim links for owners that agents bound, login with
//! throttling, server-side browser sessions with idle and absolute expiry, password changes.

use std::time::Duration;

use super::clock::now_ms;
use super::model::{User, UserKind};
use super::{check_name, ids, passwords, Core, Error, Event, Result};
use crate::store::models::{ClaimLinkRow, HumanAccountRow, UserRow, WebSessionRow};
use crate::store::queries::{accounts, users};
use crate::store::Conn;

/// Who may create an account without a claim link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signup {
    /// Anyone who can reach the server.
    Open,
    /// Only people an operator invited (`agentgate users invite EMAIL` prints their link).
    Invite,
    /// Nobody: accounts come from claim links only.
    Off,
}

impl Signup {
    /// Parses the setting's value.
    pub fn parse(s: &str) -> Option<Signup> {
        match s {
            "open" => Some(Signup::Open),
            "invite" => Some(Signup::Invite),
            "off" => Some(Signup::Off),
            _ => None,
        }
    }

    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Signup::Open => "open",
            Signup::Invite => "invite",
            Signup::Off => "off",
        }
    }
}

/// What the account rules need from the settings.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub signup: Signup,
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, used or not.
    pub session_max: Duration,
    /// How long a claim link stays valid.
    pub claim_ttl: Duration,
    /// Failed logins per account per window before the account is refused until the window ends.
    pub login_failures: u32,
    /// The failed-login window.
    pub login_failure_window: Duration,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            signup: Signup::Open,
            session_idle: Duration::from_secs(7 * 24 * 3600),
            session_max: Duration::from_secs(30 * 24 * 3600),
            claim_ttl: Duration::from_secs(7 * 24 * 3600),
            login_failures: 5,
            login_failure_window: Duration::from_secs(15 * 60),
        }
    }
}

/// A human with an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Human {
    pub user: User,
    pub is_admin: bool,
}

/// A new browser session: the cookie value (shown once) and the digest it is stored as.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub human: Human,
    pub cookie: String,
    pub digest: String,
}

/// A browser session found by its cookie.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub human: Human,
    pub digest: String,
}

/// Why a sign-up was refused (nothing was created).
#[derive(Debug, Clone, PartialEq)]
pub enum SignupRefused {
    /// Sign-up is by invitation or off.
    Closed(Signup),
    /// The address belongs to an agent's owner who has not claimed the account yet.
    ClaimRequired,
    /// The address has an account.
    EmailTaken,
}

/// The same answer for an unknown email and a wrong password.
const BAD_CREDENTIALS: &str = "wrong email or password";
/// Sessions are not touched more often than this: a write per request would be wasted.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A username for a human from their display name or email, free in the shared namespace.
fn free_username(conn: &mut Conn, from: &str) -> Result<String> {
    let base: String = from
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let base = base.trim_matches('_').to_string();
    let base = if base.len() < 3 {
        format!("human_{base}")
    } else {
        base
    };
    let mut candidate = base.clone();
    while super::identity::taken(conn, &candidate)? {
        candidate = format!("{}_{}", base, &ids::object_id()[18..]);
    }
    Ok(candidate)
}

/// Gives a human who is becoming an account holder the parts an account needs: the password,
/// a username (mentions are by username), membership of the default group (its public panels
/// and the town square) and no outstanding claim links.
fn open_account(conn: &mut Conn, user: &User, hash: String, now: i64) -> Result<()> {
    accounts::insert_account(
        conn,
        &HumanAccountRow {
            user_id: user.id.to_string(),
            password_hash: hash,
            is_admin: false,
            created_at: now,
            password_changed_at: now,
        },
    )?;
    if user.username.is_none() {
        let name = free_username(conn, &user.display_name)?;
        users::set_username(conn, &user.id, &name, now)?;
    }
    super::identity::join_default_group(conn, &user.id, now)?;
    accounts::delete_claims_of(conn, &user.id)?;
    Ok(())
}

/// Issues a one-time claim link for a human without a password; returns its token.
pub(crate) fn issue_claim(conn: &mut Conn, user_id: &str, ttl: Duration) -> Result<String> {
    let token = ids::web_secret();
    let now = now_ms();
    accounts::insert_claim(
        conn,
        &ClaimLinkRow {
            digest: ids::digest(&token),
            user_id: user_id.to_string(),
            created_at: now,
            expires_at: now + ttl.as_millis() as i64,
        },
    )?;
    Ok(token)
}

impl Core {
    /// The account settings in force.
    pub fn account_settings(&self) -> &AccountSettings {
        &self.settings.accounts
    }

    fn new_session(conn: &mut Conn, user_id: &str, max: Duration) -> Result<(String, String)> {
        let cookie = ids::web_secret();
        let digest = ids::digest(&cookie);
        let now = now_ms();
        accounts::insert_session(
            conn,
            &WebSessionRow {
                digest: digest.clone(),
                user_id: user_id.to_string(),
                created_at: now,
                last_seen_at: now,
                expires_at: now + max.as_millis() as i64,
            },
        )?;
        Ok((cookie, digest))
    }

    /// Creates an account with a password and signs it in. A refusal changes nothing.
    pub async fn sign_up(
        &self,
        email: &str,
        password: String,
        display_name: &str,
        client: &str,
    ) -> Result<std::result::Result<SignedIn, SignupRefused>> {
        let mode = self.account_settings().signup;
        if mode != Signup::Open {
            return Ok(Err(SignupRefused::Closed(mode)));
        }
        let email = email.trim().to_string();
        if !super::identity::valid_email(&email) {
            return Err(Error::invalid("email", "Invalid email format"));
        }
        let display = check_name("display_name", display_name, self.limits())?;
        passwords::check("password", &password)?;
        self.check_register_rate(client).await?;
        let hash = passwords::hash(password).await?;
        let max = self.account_settings().session_max;
        self.commit(move |conn| {
            if let Some(existing) = users::by_email(conn, &email)? {
                let refused = if accounts::account(conn, &existing.id)?.is_some() {
                    SignupRefused::EmailTaken
                } else {
                    SignupRefused::ClaimRequired
                };
                return Ok((Err(refused), vec![]));
            }
            let now = now_ms();
            let row = UserRow {
                id: ids::object_id(),
                kind: UserKind::Human.as_str().into(),
                username: None,
                display_name: display,
                email: Some(email),
                avatar: None,
                metadata: None,
                owner_user_id: None,
                created_at: now,
                updated_at: now,
            };
            users::insert(conn, &row)?;
            let user = User::from(row);
            open_account(conn, &user, hash, now)?;
            let user = load_user(conn, &user.id)?;
            let (cookie, digest) = Self::new_session(conn, &user.id, max)?;
            let human = Human {
                user,
                is_admin: false,
            };
            Ok((
                Ok(SignedIn {
                    human,
                    cookie,
                    digest,
                }),
                vec![],
            ))
        })
        .await
    }

    /// Checks an email and password and opens a new session. Unknown emails and wrong
    /// passwords get the same answer after the same work; failures are counted per account and
    /// per client address, each with its own limit.
    pub async fn log_in(&self, email: &str, password: String, client: &str) -> Result<SignedIn> {
        self.check_auth_throttle(client)?;
        let email = email.trim().to_lowercase();
        self.check_login_throttle(&email)?;
        if password.len() > passwords::MAX_BYTES {
            return Err(Error::invalid(
                "password",
                format!(
                    "the password must be at most {} bytes long",
                    passwords::MAX_BYTES
                ),
            ));
        }
        let key = email.clone();
        let found = self
            .read(move |conn| {
                let Some(user) = users::by_email(conn, &key)? else {
                    return Ok(None);
                };
                Ok(accounts::account(conn, &user.id)?.map(|a| (User::from(user), a)))
            })
            .await?;
        let stored = found.as_ref().map(|(_, a)| a.password_hash.clone());
        if !passwords::verify(password, stored).await? {
            self.record_auth_failure(client);
            self.record_login_failure(&email);
            return Err(Error::Unauthorized(BAD_CREDENTIALS.into()));
        }
        let Some((user, account)) = found else {
            return Err(Error::Unauthorized(BAD_CREDENTIALS.into()));
        };
        let max = self.account_settings().session_max;
        let idle = self.account_settings().session_idle;
        let user_id = user.id.clone();
        let (cookie, digest) = self
            .commit(move |conn| {
                // Housekeeping rides along with logins: ended sessions leave the table.
                accounts::delete_expired_sessions(conn, now_ms(), idle.as_millis() as i64)?;
                Ok((Self::new_session(conn, &user_id, max)?, vec![]))
            })
            .await?;
        Ok(SignedIn {
            human: Human {
                user,
                is_admin: account.is_admin,
            },
            cookie,
            digest,
        })
    }

    /// The human a claim link is for, when it is valid.
    pub async fn inspect_claim(&self, token: &str) -> Result<User> {
        let digest = ids::digest(token);
        self.read(move |conn| valid_claim(conn, &digest)).await
    }

    /// Claims an account with a one-time link: sets the password (and the name, if given) and
    /// signs in. The link and any other of the same human stop working.
    pub async fn claim(
        &self,
        token: &str,
        password: String,
        display_name: Option<String>,
    ) -> Result<SignedIn> {
        let display = display_name
            .filter(|d| !d.trim().is_empty())
            .map(|d| check_name("display_name", &d, self.limits()))
            .transpose()?;
        passwords::check("password", &password)?;
        let digest = ids::digest(token);
        // Fail fast on a bad link before spending a hash on it.
        self.inspect_claim(token).await?;
        let hash = passwords::hash(password).await?;
        let max = self.account_settings().session_max;
        self.commit(move |conn| {
            let user = valid_claim(conn, &digest)?;
            let now = now_ms();
            if let Some(d) = &display {
                users::set_names(conn, &user.id, d, user.avatar.as_deref(), now)?;
            }
            let user = load_user(conn, &user.id)?;
            open_account(conn, &user, hash, now)?;
            let user = load_user(conn, &user.id)?;
            let (cookie, digest) = Self::new_session(conn, &user.id, max)?;
            Ok((
                SignedIn {
                    human: Human {
                        user,
                        is_admin: false,
                    },
                    cookie,
                    digest,
                },
                vec![],
            ))
        })
        .await
    }

    /// The session a cookie value names, if it is live; moves its idle clock now and then.
    pub async fn web_session(&self, cookie: &str) -> Result<WebSession> {
        if cookie.is_empty() || cookie.len() > 128 {
            return Err(Error::Unauthorized("not signed in".into()));
        }
        let digest = ids::digest(cookie);
        let idle = self.account_settings().session_idle.as_millis() as i64;
        let key = digest.clone();
        let (session, user, account) = self
            .read(move |conn| Ok(accounts::session(conn, &key)?))
            .await?
            .ok_or_else(|| Error::Unauthorized("not signed in".into()))?;
        let now = now_ms();
        if session.expires_at <= now || session.last_seen_at + idle <= now {
            return Err(Error::Unauthorized(
                "the session has expired; log in again".into(),
            ));
        }
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            let key = digest.clone();
            self.commit(move |conn| {
                accounts::touch_session(conn, &key, now_ms())?;
                Ok(((), vec![]))
            })
            .await?;
        }
        Ok(WebSession {
            human: Human {
                user: User::from(user),
                is_admin: account.is_admin,
            },
            digest,
        })
    }

    /// Ends one session; its live sockets close.
    pub async fn log_out(&self, session: &WebSession) -> Result<()> {
        let (user_id, digest) = (session.human.user.id.clone(), session.digest.clone());
        self.commit(move |conn| {
            accounts::delete_session(conn, &digest)?;
            Ok((
                (),
                vec![Event::CredentialsRevoked {
                    user_id: user_id.to_string(),
                    digests: vec![digest],
                }],
            ))
        })
        .await
    }

    /// Ends every session of the account but `keep`; their live sockets close.
    pub async fn end_sessions(&self, user_id: &str, keep: Option<String>) -> Result<usize> {
        let user_id = user_id.to_string();
        self.commit(move |conn| {
            let ended = accounts::delete_sessions_of(conn, &user_id, keep.as_deref())?;
            let n = ended.len();
            Ok((
                n,
                vec![Event::CredentialsRevoked {
                    user_id,
                    digests: ended,
                }],
            ))
        })
        .await
    }

    /// Changes the password after checking the current one; every other session ends.
    pub async fn change_password(
        &self,
        session: &WebSession,
        current: String,
        new: String,
        client: &str,
    ) -> Result<()> {
        let email = session
            .human
            .user
            .email
            .clone()
            .unwrap_or_default()
            .to_lowercase();
        self.check_login_throttle(&email)?;
        passwords::check("password", &new)?;
        let user_id = session.human.user.id.clone();
        let key = user_id.clone();
        let stored = self
            .read(move |conn| Ok(accounts::account(conn, &key)?.map(|a| a.password_hash)))
            .await?;
        if !passwords::verify(current, stored).await? {
            self.record_auth_failure(client);
            self.record_login_failure(&email);
            return Err(Error::Unauthorized("the current password is wrong".into()));
        }
        let hash = passwords::hash(new).await?;
        let keep = session.digest.clone();
        self.commit(move |conn| {
            accounts::set_password(conn, &user_id, &hash, now_ms())?;
            let ended = accounts::delete_sessions_of(conn, &user_id, Some(&keep))?;
            Ok((
                (),
                vec![Event::CredentialsRevoked {
                    user_id: user_id.to_string(),
                    digests: ended,
                }],
            ))
        })
        .await
    }

    /// Finds or creates the human with this email and issues a claim link (operators, on the
    /// command line). An email that already has an account gets none.
    pub async fn invite(&self, email: &str) -> Result<(User, String)> {
        let email = email.trim().to_string();
        if !super::identity::valid_email(&email) {
            return Err(Error::invalid("email", "Invalid email format"));
        }
        let ttl = self.account_settings().claim_ttl;
        self.commit(move |conn| {
            let user = super::identity::human_by_email(conn, &email)?;
            if accounts::account(conn, &user.id)?.is_some() {
                return Err(Error::Conflict(format!(
                    "{email} already has an account; they log in with their password"
                )));
            }
            let token = issue_claim(conn, &user.id, ttl)?;
            Ok(((user, token), vec![]))
        })
        .await
    }

    /// Grants or takes back the operator role of an account (operators, on the command line).
    pub async fn set_admin(&self, email: &str, admin: bool) -> Result<User> {
        let email = email.trim().to_string();
        self.commit(move |conn| {
            let user = users::by_email(conn, &email)?
                .map(User::from)
                .ok_or_else(|| Error::NotFound(format!("no user has the email {email}")))?;
            if accounts::set_admin(conn, &user.id, admin)? == 0 {
                return Err(Error::NotFound(format!(
                    "{email} has no account yet: it must be claimed or signed up first"
                )));
            }
            Ok((user, vec![]))
        })
        .await
    }

    fn check_login_throttle(&self, email: &str) -> Result<()> {
        match self.login_failures.blocked(email) {
            None => Ok(()),
            Some(wait) => Err(Error::RateLimited {
                retry_after_secs: wait,
                message: format!(
                    "too many failed logins for this account ({} per {} s); retry in {wait} s",
                    self.login_failures.limit().0,
                    self.login_failures.limit().1.as_secs()
                ),
            }),
        }
    }

    fn record_login_failure(&self, email: &str) {
        self.live.announce_failure(super::LOGIN_WINDOW, email);
        if self.login_failures.fail(email) {
            log::warn!("logins to one account refused after repeated failures");
        }
    }
}

fn load_user(conn: &mut Conn, id: &str) -> Result<User> {
    users::by_id(conn, id)?
        .map(User::from)
        .ok_or_else(|| Error::NotFound("user not found".into()))
}

/// The human of an unexpired claim link who has no account yet.
fn valid_claim(conn: &mut Conn, digest: &str) -> Result<User> {
    let gone = || Error::Gone("this claim link is invalid, used or expired".into());
    let (link, user) = accounts::claim(conn, digest)?.ok_or_else(gone)?;
    if link.expires_at <= now_ms() || accounts::account(conn, &user.id)?.is_some() {
        return Err(gone());
    }
    Ok(User::from(user))
}
