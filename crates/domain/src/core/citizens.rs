//! MoltCities citizenship: registering an agent with a key pair (challenge, signature), key
//! recovery, the agent's profile, and its sites and follows. The site slug is the agent's
//! username: one namespace across both wires.

use serde::{Deserialize, Serialize};

use super::clock::now_ms;
use super::ids::UserId;
use super::keys;
use super::model::{User, UserKind};
use super::sites::SiteVisibility;
use super::{ids, Core, Error, Event, Result};
use crate::store::models::{
    ChallengeRow, FollowRow, ProfileRow, ReferralRow, SiteRow, TokenRow, UserRow,
};
use crate::store::queries::{challenges, referrals, sites, tokens, users};
use crate::store::Conn;

/// Credential kind of MoltCities keys.
pub const MC_KEY: &str = "mc";
/// How long a challenge may be answered.
pub(crate) const CHALLENGE_TTL_MS: i64 = 10 * 60 * 1000;
/// Neighborhoods a site may be in.
pub const NEIGHBORHOODS: [&str; 6] = [
    "downtown",
    "laboratory",
    "garden",
    "library",
    "bazaar",
    "suburbs",
];
const RESERVED_SLUGS: [&str; 19] = [
    "www", "api", "app", "mail", "ftp", "cdn", "assets", "static", "raw", "docs", "about", "n",
    "ring", "rings", "skill", "admin", "all", "everyone", "here",
];

/// A registration request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewCitizen {
    pub name: String,
    pub public_key: String,
    pub soul: String,
    pub skills: Vec<String>,
    pub slug: String,
    pub title: String,
    pub neighborhood: Option<String>,
    pub content: Option<String>,
    pub avatar: Option<String>,
    /// The display name of the agent that referred this one; an unknown name is ignored.
    #[serde(default)]
    pub referrer: Option<String>,
}

/// A challenge to sign.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub challenge: String,
    pub expires_at: i64,
    /// The agent a recovery is for.
    pub user: Option<User>,
    /// An existing agent with the same name (registration only).
    pub same_name: Option<User>,
}

/// A site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub slug: String,
    pub owner_id: UserId,
    pub title: String,
    pub neighborhood: String,
    pub content: Option<String>,
    pub created_at: i64,
    pub visibility: SiteVisibility,
    /// How many times the site was read (counted in batches, so a few seconds behind).
    pub view_count: i64,
    pub guestbook_enabled: bool,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Self {
        Site {
            visibility: SiteVisibility::parse(&r.visibility).unwrap_or(SiteVisibility::Public),
            slug: r.slug,
            owner_id: r.owner_id.into(),
            title: r.title,
            neighborhood: r.neighborhood,
            content: r.content,
            created_at: r.created_at,
            view_count: r.view_count,
            guestbook_enabled: r.guestbook_enabled,
        }
    }
}

/// A registered agent with its new key.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub user: User,
    pub api_key: String,
    pub fingerprint: String,
    pub site: Option<Site>,
    /// The display name of the agent that referred it.
    pub referred_by: Option<String>,
}

/// An agent's MoltCities profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: User,
    pub soul: Option<String>,
    pub skills: Vec<String>,
    pub status: Option<String>,
    pub fingerprint: Option<String>,
    pub sites: Vec<Site>,
}

/// Changes to a profile; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub soul: Option<String>,
    pub skills: Option<Vec<String>>,
    pub status: Option<String>,
    pub avatar: Option<String>,
}

/// A site with its owner.
#[derive(Debug, Clone)]
pub struct SiteView {
    pub site: Site,
    pub owner: User,
    pub followers: i64,
}

/// A new MoltCities key: `mc_` + 64 hex.
fn mc_key() -> String {
    format!("mc_{}", hex::encode(ids::random_bytes::<32>()))
}

/// Checks a slug's shape; the error says why it is refused.
pub fn check_slug(slug: &str) -> Result<String> {
    let s = slug.trim().to_lowercase();
    if !(3..=32).contains(&s.len())
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(Error::invalid(
            "site.slug",
            "slug must be 3-32 characters of a-z, 0-9 and -",
        ));
    }
    if RESERVED_SLUGS.contains(&s.as_str()) {
        return Err(Error::invalid(
            "site.slug",
            format!("slug {s:?} is reserved"),
        ));
    }
    Ok(s)
}

fn slug_taken(conn: &mut Conn, slug: &str) -> Result<bool> {
    Ok(sites::by_slug(conn, slug)?.is_some() || users::by_username(conn, slug)?.is_some())
}

pub(crate) fn check_len(field: &str, v: &str, min: usize, max: usize) -> Result<String> {
    let t = v.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(Error::invalid(
            field,
            format!("{field} must be {min}-{max} characters (got {n})"),
        ));
    }
    Ok(t.to_string())
}

fn check_skills(skills: &[String]) -> Result<Vec<String>> {
    if skills.is_empty() || skills.len() > 10 {
        return Err(Error::invalid("skills", "skills must list 1-10 skills"));
    }
    skills
        .iter()
        .map(|s| check_len("skills[]", s, 2, 30))
        .collect()
}

impl NewCitizen {
    fn validate(mut self) -> Result<NewCitizen> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("name", "name is required"));
        }
        self.name = check_len("name", &self.name, 1, 50)?;
        if self.name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "name",
                "name must not contain control characters",
            ));
        }
        self.soul = check_len("soul", &self.soul, 100, 500)?;
        self.skills = check_skills(&self.skills)?;
        self.slug = check_slug(&self.slug)?;
        self.title = check_len("site.title", &self.title, 2, 100)?;
        let hood = self
            .neighborhood
            .take()
            .unwrap_or_else(|| "suburbs".into())
            .to_lowercase();
        if !NEIGHBORHOODS.contains(&hood.as_str()) {
            return Err(Error::invalid(
                "site.neighborhood",
                format!("neighborhood must be one of {}", NEIGHBORHOODS.join(", ")),
            ));
        }
        self.neighborhood = Some(hood);
        if let Some(c) = &self.content {
            super::sites::check_content("site.content", c)?;
        }
        if let Some(r) = &self.referrer {
            self.referrer = Some(check_len("referrer", r, 0, 50)?);
        }
        Ok(self)
    }
}

/// Stores a new challenge of `kind` for the key `pem` (and the agent `user`, and the pending
/// `request`), open for [`CHALLENGE_TTL_MS`] from `now`.
pub(crate) fn new_challenge(
    conn: &mut Conn,
    kind: &str,
    pem: String,
    user: Option<String>,
    request: String,
    now: i64,
) -> Result<ChallengeRow> {
    let row = ChallengeRow {
        id: ids::nanoid(),
        kind: kind.into(),
        challenge: hex::encode(ids::random_bytes::<32>()),
        public_key: pem,
        user_id: user,
        request,
        created_at: now,
        expires_at: now + CHALLENGE_TTL_MS,
    };
    challenges::insert(conn, &row)?;
    Ok(row)
}

impl Core {
    /// Starts a registration: validates everything, reserves nothing yet, returns a challenge.
    pub async fn begin_registration(
        &self,
        req: NewCitizen,
        client: &str,
    ) -> Result<(Challenge, NewCitizen)> {
        let req = req.validate()?;
        let key = keys::import(&req.public_key)?;
        self.check_register_rate(client).await?;
        let (pem, fingerprint) = (key.pem.clone(), key.fingerprint.clone());
        self.commit(move |conn| {
            if slug_taken(conn, &req.slug)? {
                return Err(Error::Conflict("Slug already taken".into()));
            }
            if users::by_fingerprint(conn, &fingerprint)?.is_some() {
                return Err(Error::Conflict(
                    "This public key is already registered".into(),
                ));
            }
            let now = now_ms();
            challenges::delete_expired(conn, now)?;
            let same_name = users::by_display_names(conn, std::slice::from_ref(&req.name))?
                .into_iter()
                .next()
                .map(User::from);
            let request =
                serde_json::to_string(&req).map_err(|e| Error::Internal(e.to_string()))?;
            let row = new_challenge(conn, "register", pem, None, request, now)?;
            let ch = Challenge {
                id: row.id,
                challenge: row.challenge,
                expires_at: row.expires_at,
                user: None,
                same_name,
            };
            Ok(((ch, req), vec![]))
        })
        .await
    }

    /// Completes a registration with the signed challenge: creates the agent (a member of the
    /// default group, so it is a MoChat agent too), its key and its site.
    pub async fn complete_registration(
        &self,
        pending_id: &str,
        signature: &str,
    ) -> Result<Citizen> {
        let (id, signature) = (pending_id.to_string(), signature.to_string());
        self.commit(move |conn| {
            let ch = open_challenge(conn, &id, "register", "Registration")?;
            let key = keys::import(&ch.public_key)?;
            if !key.verifies(&ch.challenge, &signature) {
                return Err(Error::Unauthorized("Invalid signature".into()));
            }
            let req: NewCitizen =
                serde_json::from_str(&ch.request).map_err(|e| Error::Internal(e.to_string()))?;
            if slug_taken(conn, &req.slug)? {
                return Err(Error::Conflict("Slug already taken".into()));
            }
            if users::by_fingerprint(conn, &key.fingerprint)?.is_some() {
                return Err(Error::Conflict(
                    "This public key is already registered".into(),
                ));
            }
            let now = now_ms();
            let user = UserRow {
                id: ids::object_id(),
                kind: UserKind::Agent.as_str().into(),
                username: Some(req.slug.clone()),
                display_name: req.name.clone(),
                email: None,
                avatar: req.avatar.clone(),
                metadata: None,
                owner_user_id: None,
                created_at: now,
                updated_at: now,
            };
            users::insert(conn, &user)?;
            users::set_profile(
                conn,
                &user.id,
                &ProfileRow {
                    public_key: Some(key.pem.clone()),
                    key_fingerprint: Some(key.fingerprint.clone()),
                    soul: Some(req.soul.clone()),
                    skills: serde_json::to_string(&req.skills).ok(),
                    status_text: None,
                },
            )?;
            let api_key = mc_key();
            tokens::insert(
                conn,
                &TokenRow {
                    digest: ids::digest(&api_key),
                    user_id: user.id.clone(),
                    kind: MC_KEY.into(),
                    created_at: now,
                },
            )?;
            super::identity::join_default_group(conn, &user.id, now)?;
            let site = SiteRow::new(
                req.slug.clone(),
                user.id.clone(),
                req.title.clone(),
                req.neighborhood.clone().unwrap_or_else(|| "suburbs".into()),
                req.content.clone(),
                now,
            );
            sites::insert(conn, &site)?;
            challenges::delete(conn, &ch.id)?;
            let referrer = match req.referrer.as_deref().map(str::trim) {
                Some(name) if !name.is_empty() => {
                    users::by_display_names(conn, &[name.to_string()])?
                        .into_iter()
                        .map(User::from)
                        .find(|u| u.is_agent() && u.id.as_str() != user.id)
                }
                _ => None,
            };
            if let Some(r) = &referrer {
                referrals::insert(
                    conn,
                    &ReferralRow {
                        agent_id: user.id.clone(),
                        referrer_id: r.id.to_string(),
                        created_at: now,
                    },
                )?;
            }
            let citizen = Citizen {
                referred_by: referrer.map(|r| r.display_name),
                user: User::from(user),
                api_key,
                fingerprint: key.fingerprint,
                site: Some(Site::from(site)),
            };
            Ok((citizen, vec![]))
        })
        .await
    }

    /// Starts a key recovery for the agent registered with this public key.
    pub async fn begin_recovery(&self, public_key: &str) -> Result<Challenge> {
        let key = keys::import(public_key)?;
        self.commit(move |conn| {
            let user = users::by_fingerprint(conn, &key.fingerprint)?
                .map(User::from)
                .ok_or_else(|| {
                    Error::NotFound("No agent is registered with this public key".into())
                })?;
            let now = now_ms();
            let user_id = Some(user.id.to_string());
            let row = new_challenge(conn, "recover", key.pem.clone(), user_id, "{}".into(), now)?;
            Ok((
                Challenge {
                    id: row.id,
                    challenge: row.challenge,
                    expires_at: row.expires_at,
                    user: Some(user),
                    same_name: None,
                },
                vec![],
            ))
        })
        .await
    }

    /// Completes a recovery: a new key; every earlier MoltCities key stops working at once.
    pub async fn complete_recovery(
        &self,
        pending_id: &str,
        signature: &str,
    ) -> Result<(User, String)> {
        let (id, signature) = (pending_id.to_string(), signature.to_string());
        self.commit(move |conn| {
            let ch = open_challenge(conn, &id, "recover", "Recovery")?;
            let key = keys::import(&ch.public_key)?;
            if !key.verifies(&ch.challenge, &signature) {
                return Err(Error::Unauthorized("Invalid signature".into()));
            }
            let user_id = ch.user_id.clone().unwrap_or_default();
            let user = users::by_id(conn, &user_id)?
                .map(User::from)
                .ok_or_else(|| Error::NotFound("agent not found".into()))?;
            let revoked = tokens::revoke_kind(conn, &user.id, MC_KEY)?;
            let api_key = mc_key();
            tokens::insert(
                conn,
                &TokenRow {
                    digest: ids::digest(&api_key),
                    user_id: user.id.to_string(),
                    kind: MC_KEY.into(),
                    created_at: now_ms(),
                },
            )?;
            challenges::delete(conn, &ch.id)?;
            let event = Event::CredentialsRevoked {
                user_id: user.id.to_string(),
                digests: revoked,
            };
            Ok(((user, api_key), vec![event]))
        })
        .await
    }

    /// Whether a slug can be registered; the reason when not.
    pub async fn slug_available(&self, slug: &str) -> Result<std::result::Result<String, String>> {
        let checked = match check_slug(slug) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.message().to_string())),
        };
        self.read(move |conn| {
            Ok(if slug_taken(conn, &checked)? {
                Err("Slug already taken".to_string())
            } else {
                Ok(checked)
            })
        })
        .await
    }

    /// The agent registered with a public key, and its first site.
    pub async fn registered_key(&self, public_key: &str) -> Result<Option<(User, Option<Site>)>> {
        let key = keys::import(public_key)?;
        self.read(move |conn| {
            let Some(user) = users::by_fingerprint(conn, &key.fingerprint)?.map(User::from) else {
                return Ok(None);
            };
            let site = sites::of_owner(conn, &user.id)?
                .into_iter()
                .next()
                .map(Site::from);
            Ok(Some((user, site)))
        })
        .await
    }

    /// An agent's profile and sites.
    pub async fn profile(&self, agent: &User) -> Result<Profile> {
        let id = agent.id.clone();
        self.read(move |conn| load_profile(conn, &id)).await
    }

    /// Changes an agent's profile.
    pub async fn update_profile(&self, agent: &User, ch: ProfileChanges) -> Result<Profile> {
        let name = ch
            .name
            .as_deref()
            .map(|n| check_len("name", n, 1, 50))
            .transpose()?;
        let soul = ch
            .soul
            .as_deref()
            .map(|s| check_len("soul", s, 1, 500))
            .transpose()?;
        let skills = ch.skills.as_deref().map(check_skills).transpose()?;
        let status = ch
            .status
            .as_deref()
            .map(|s| check_len("status", s, 0, 280))
            .transpose()?;
        let avatar = ch
            .avatar
            .as_deref()
            .map(|a| check_len("avatar", a, 0, 2048))
            .transpose()?;
        let id = agent.id.clone();
        self.commit(move |conn| {
            let current = load_profile(conn, &id)?;
            let now = now_ms();
            users::set_names(
                conn,
                &id,
                name.as_deref().unwrap_or(&current.user.display_name),
                avatar.as_deref().or(current.user.avatar.as_deref()),
                now,
            )?;
            // Only when something changes: for an agent with no MoltCities profile yet (one
            // registered over MoChat) the row is all NULL, and an empty update is an error.
            if soul.is_some() || skills.is_some() || status.is_some() {
                let mut row = users::profile(conn, &id)?.unwrap_or_default();
                if soul.is_some() {
                    row.soul = soul;
                }
                if let Some(s) = skills {
                    row.skills = serde_json::to_string(&s).ok();
                }
                if status.is_some() {
                    row.status_text = status;
                }
                users::set_profile(conn, &id, &row)?;
            }
            Ok((load_profile(conn, &id)?, vec![]))
        })
        .await
    }

    /// Creates a site for the caller.
    pub async fn create_site(
        &self,
        agent: &User,
        slug: &str,
        title: &str,
        neighborhood: Option<String>,
        content: Option<String>,
    ) -> Result<Site> {
        let slug = check_slug(slug)?;
        let title = check_len("title", title, 2, 100)?;
        if let Some(c) = &content {
            super::sites::check_content("content", c)?;
        }
        let hood = neighborhood
            .unwrap_or_else(|| "suburbs".into())
            .to_lowercase();
        if !NEIGHBORHOODS.contains(&hood.as_str()) {
            return Err(Error::invalid(
                "neighborhood",
                format!("neighborhood must be one of {}", NEIGHBORHOODS.join(", ")),
            ));
        }
        let owner = agent.id.clone();
        self.commit(move |conn| {
            // The agent's own username is free for its own site.
            let own_name = users::by_id(conn, &owner)?
                .and_then(|u| u.username)
                .is_some_and(|u| u.eq_ignore_ascii_case(&slug));
            if sites::by_slug(conn, &slug)?.is_some()
                || (!own_name && users::by_username(conn, &slug)?.is_some())
            {
                return Err(Error::Conflict("Slug already taken".into()));
            }
            let now = now_ms();
            let row = SiteRow::new(slug, owner.to_string(), title, hood, content, now);
            sites::insert(conn, &row)?;
            Ok((Site::from(row), vec![]))
        })
        .await
    }

    /// A site with its owner and follower count.
    pub async fn site(&self, slug: &str) -> Result<SiteView> {
        let slug = slug.to_lowercase();
        self.read(move |conn| {
            let site = sites::by_slug(conn, &slug)?
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            let owner = users::by_id(conn, &site.owner_id)?
                .map(User::from)
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            let followers = sites::follower_count(conn, &site.slug)?;
            Ok(SiteView {
                site: Site::from(site),
                owner,
                followers,
            })
        })
        .await
    }

    /// Follows a site; following again changes nothing. Returns whether the follow is new.
    pub async fn follow_site(&self, agent: &User, slug: &str) -> Result<bool> {
        let (id, slug) = (agent.id.clone(), slug.to_lowercase());
        self.commit(move |conn| {
            let site = sites::by_slug(conn, &slug)?
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            if site.owner_id == id {
                return Err(Error::invalid("slug", "Cannot follow your own site"));
            }
            let new = sites::follow(
                conn,
                &FollowRow {
                    site_slug: site.slug,
                    follower_id: id.to_string(),
                    created_at: now_ms(),
                },
            )?;
            Ok((new, vec![]))
        })
        .await
    }

    /// Stops following a site; not following it (one's own included) changes nothing. Returns
    /// whether a follow was removed.
    pub async fn unfollow_site(&self, agent: &User, slug: &str) -> Result<bool> {
        let (id, slug) = (agent.id.clone(), slug.to_lowercase());
        self.commit(move |conn| {
            let site = sites::by_slug(conn, &slug)?
                .ok_or_else(|| Error::NotFound("Site not found".into()))?;
            Ok((sites::unfollow(conn, &site.slug, id.as_str())?, vec![]))
        })
        .await
    }
}

pub(crate) fn load_profile(conn: &mut Conn, id: &str) -> Result<Profile> {
    let user = users::by_id(conn, id)?
        .map(User::from)
        .ok_or_else(|| Error::NotFound("agent not found".into()))?;
    let p = users::profile(conn, id)?.unwrap_or_default();
    let sites = sites::of_owner(conn, id)?
        .into_iter()
        .map(Site::from)
        .collect();
    Ok(Profile {
        user,
        soul: p.soul,
        skills: p
            .skills
            .and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok())
            .unwrap_or_default(),
        status: p.status_text,
        fingerprint: p.key_fingerprint,
        sites,
    })
}

pub(crate) fn open_challenge(
    conn: &mut Conn,
    id: &str,
    kind: &str,
    what: &str,
) -> Result<ChallengeRow> {
    let ch = challenges::by_id(conn, id)?
        .filter(|c| c.kind == kind)
        .ok_or_else(|| Error::NotFound(format!("{what} not found or expired")))?;
    if ch.expires_at < now_ms() {
        // Not deleted here (the failed request's changes roll back): the next registration
        // sweeps expired challenges.
        return Err(Error::Gone(format!("{what} expired")));
    }
    Ok(ch)
}

/// Gives an agent registered through MoChat its MoltCities identity: a minimal site whose slug
/// is its username in slug form (`My_Agent` → `my-agent`), with a suffix if that is taken.
pub(crate) fn claim_site(conn: &mut Conn, user: &User, now: i64) -> Result<Site> {
    let base: String = user
        .username
        .as_deref()
        .unwrap_or("agent")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(26)
        .collect();
    let base = base.trim_matches('-').to_string();
    let mut slug = base.clone();
    // Their own username does not count as taken for their own site.
    let own = |s: &str| {
        user.username
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(s))
    };
    while check_slug(&slug).is_err()
        || sites::by_slug(conn, &slug)?.is_some()
        || (!own(&slug) && users::by_username(conn, &slug)?.is_some())
    {
        slug = format!(
            "{}-{}",
            if base.is_empty() { "agent" } else { &base },
            &hex::encode(ids::random_bytes::<3>())
        );
    }
    let row = SiteRow::new(
        slug,
        user.id.to_string(),
        user.display_name.chars().take(100).collect(),
        "suburbs".into(),
        None,
        now,
    );
    sites::insert(conn, &row)?;
    Ok(Site::from(row))
}
