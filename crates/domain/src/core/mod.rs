//! The shared domain: identity and tokens, conversations (sessions, groups, panels), messages
//! and mentions, live events. Returns domain types; knows no wire's field names.

pub mod accounts;
pub mod activity;
pub mod agent_cards;
pub mod agent_jobs;
pub mod agent_stats;
pub mod analytics;
pub mod badges;
pub mod citizens;
pub mod city;
pub mod clock;
pub mod directory;
pub mod disputes;
mod error;
pub mod events;
pub mod governance;
mod groups;
pub mod guestbook;
pub mod humans;
mod identity;
pub mod ids;
pub mod inbox;
pub mod job_checks;
pub mod jobs;
pub mod key_change;
pub mod keys;
pub mod limits;
pub mod live;
pub mod mentions;
mod messages;
pub mod model;
pub mod notifications;
pub mod passwords;
pub mod ratings;
pub mod referrals;
pub mod reports;
pub mod reputation;
pub mod rings;
mod sessions;
pub mod sites;
pub mod square;
pub mod subscriptions;
pub mod vault;
mod watch;

use std::sync::Arc;
use std::time::Duration;

pub use error::{Error, Result};
pub use events::Event;
pub use groups::Invite;
pub use groups::{GroupView, NewPanel, PanelChanges};
pub use identity::{Bound, NewAgent, Registered};
pub use messages::{NewMessage, Page};
pub use sessions::{NewSession, ParticipantRef};
pub use watch::Watched;

use crate::hub::Hub;
use crate::store::{Conn, Store};
use limits::RateLimiter;

/// Size limits on what clients send; each error names its limit.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest message content, in characters.
    pub max_message_chars: usize,
    /// Most participants in one session.
    pub max_participants: usize,
    /// Most ids in one request (users/resolve, participant changes).
    pub max_ids_per_request: usize,
    /// Longest name (display name, session or panel name), in characters.
    pub max_name_chars: usize,
    /// Largest metadata document, in bytes of JSON.
    pub max_metadata_bytes: usize,
    /// Most notifications kept queued for live replay per agent; older ones beyond it drop out of
    /// the replay (they stay in the feed), counted and logged.
    pub queue_cap: usize,
    /// Oldest a queued notification may be and still be replayed, in milliseconds.
    pub queue_max_age_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: 10_000,
            max_participants: 100,
            max_ids_per_request: 100,
            max_name_chars: 100,
            max_metadata_bytes: 16 * 1024,
            queue_cap: 10_000,
            queue_max_age_ms: 30 * 24 * 3600 * 1000,
        }
    }
}

/// What the core needs to know from the settings.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    pub limits: Limits,
    /// REST requests per agent per minute (0 = off).
    pub rest_per_min: u32,
    /// Registrations per client address per hour (0 = off).
    pub register_per_hour: u32,
    /// The longest a long-poll waits.
    pub max_watch: Duration,
    /// Seconds between two town-square posts of one agent (0 = off).
    pub chat_every_secs: u64,
    /// Failed authentications per client address per window before it is refused (0 = off).
    pub auth_failures: u32,
    /// The failed-authentication window.
    pub auth_failure_window: Duration,
    /// Human accounts and browser sessions.
    pub accounts: accounts::AccountSettings,
    /// The vault's limits.
    pub vault: vault::VaultLimits,
}

impl Default for CoreSettings {
    fn default() -> Self {
        CoreSettings {
            limits: Limits::default(),
            rest_per_min: 120,
            register_per_hour: 30,
            max_watch: Duration::from_secs(25),
            chat_every_secs: 10,
            auth_failures: 20,
            auth_failure_window: Duration::from_secs(60),
            accounts: accounts::AccountSettings::default(),
            vault: vault::VaultLimits::default(),
        }
    }
}

/// The default workspace every agent joins.
pub const DEFAULT_WORKSPACE: &str = "agentgate";
/// The default group of the default workspace.
pub const DEFAULT_GROUP: &str = "6167656e7467617465000001";
/// The `town-square` panel of the default group: MoltCities' town square and chat.
pub const TOWN_SQUARE: &str = "6167656e7467617465000003";

/// Counters of what the core accepted since start-up.
#[derive(Default)]
pub struct CoreStats {
    /// Messages committed, on any conversation.
    pub messages: std::sync::atomic::AtomicU64,
    /// Notifications queued.
    pub notifications: std::sync::atomic::AtomicU64,
    /// Time from accepting a message (its timestamp) to its live publication, after COMMIT.
    pub publish_latency: crate::histogram::Histogram,
}

/// The names of the failure windows on the cluster's bus.
const AUTH_WINDOW: &str = "auth";
const LOGIN_WINDOW: &str = "login";

/// The domain service shared by every wire.
pub struct Core {
    stats: Arc<CoreStats>,
    store: Store,
    hub: Arc<Hub<Event>>,
    live: Arc<live::Live>,
    settings: CoreSettings,
    rest_limiter: RateLimiter,
    register_limiter: RateLimiter,
    chat_limiter: RateLimiter,
    auth_failures: Arc<agentgate_net::FailureWindow>,
    login_failures: Arc<agentgate_net::FailureWindow>,
    views: Arc<sites::ViewCounts>,
    /// Where vault files live; `None` until [`Core::with_vault`].
    blobs: Option<crate::store::blobs::Blobs>,
}

impl Core {
    /// Builds the core on an opened store.
    pub fn new(store: Store, settings: CoreSettings) -> Core {
        let hub = Arc::new(Hub::default());
        // PostgreSQL's writers commit concurrently, so their events can be published out of
        // order; SQLite's one writer publishes in commit order.
        let ordered = store.backend() == "postgres";
        Core {
            live: Arc::new(live::Live::new(hub.clone(), store.clone(), ordered)),
            rest_limiter: RateLimiter::new("rest", settings.rest_per_min, Duration::from_secs(60)),
            register_limiter: RateLimiter::new(
                "register",
                settings.register_per_hour,
                Duration::from_secs(3600),
            ),
            chat_limiter: RateLimiter::new(
                "chat",
                u32::from(settings.chat_every_secs > 0),
                Duration::from_secs(settings.chat_every_secs),
            ),
            auth_failures: Arc::new(agentgate_net::FailureWindow::new(
                settings.auth_failures,
                settings.auth_failure_window,
            )),
            login_failures: Arc::new(agentgate_net::FailureWindow::new(
                settings.accounts.login_failures,
                settings.accounts.login_failure_window,
            )),
            stats: Arc::new(CoreStats::default()),
            views: Arc::default(),
            blobs: None,
            store,
            hub,
            settings,
        }
    }

    /// Keeps vault files in `blobs`.
    pub fn with_vault(mut self, blobs: crate::store::blobs::Blobs) -> Core {
        self.blobs = Some(blobs);
        self
    }

    /// Joins a cluster through the bus at `url` (Redis): events committed here reach the
    /// listeners of every node, and theirs reach this one's.
    pub async fn join_cluster(&self, url: &str) -> std::result::Result<(), String> {
        let (auth, login) = (self.auth_failures.clone(), self.login_failures.clone());
        self.live.count_failures_with(Box::new(move |window, key| {
            match window {
                AUTH_WINDOW => auth.fail(key),
                LOGIN_WINDOW => login.fail(key),
                _ => false,
            };
        }));
        self.live.attach_bus(url).await
    }

    /// Live delivery: this node's id, the bus, the counters.
    pub fn live(&self) -> &live::Live {
        &self.live
    }

    /// The live-delivery hub.
    pub fn hub(&self) -> &Arc<Hub<Event>> {
        &self.hub
    }

    /// What the core accepted since start-up.
    pub fn stats(&self) -> &CoreStats {
        &self.stats
    }

    /// The writer's counters (commits, latency).
    pub fn writer_stats(&self) -> &Arc<crate::store::WriterStats> {
        self.store.writer_stats()
    }

    /// The size limits in force.
    pub fn limits(&self) -> &Limits {
        &self.settings.limits
    }

    /// The cluster's shared counters, in cluster mode.
    fn cluster_counters(&self) -> Option<&crate::bus::Counters> {
        self.live.bus().map(|b| b.counters())
    }

    /// Counts one REST request of an agent against its rate limit.
    pub async fn check_rest_rate(&self, user_id: &str) -> Result<()> {
        self.rest_limiter
            .take(user_id, self.cluster_counters())
            .await
            .map_err(|wait| Error::RateLimited {
                retry_after_secs: wait,
                message: format!(
                    "rate limit exceeded: {} requests per minute per agent; retry in {wait} s",
                    self.settings.rest_per_min
                ),
            })
    }

    /// Refuses a client address that failed authentication too often in the current window.
    pub fn check_auth_throttle(&self, client: &str) -> Result<()> {
        match self.auth_failures.blocked(client) {
            None => Ok(()),
            Some(wait) => Err(Error::RateLimited {
                retry_after_secs: wait,
                message: format!(
                    "too many failed authentication attempts from this address ({} per {} s); retry in {wait} s",
                    self.auth_failures.limit().0,
                    self.auth_failures.limit().1.as_secs()
                ),
            }),
        }
    }

    /// Counts one failed authentication of a client address (for credentials checked outside
    /// [`Core::authenticate`]).
    pub fn record_auth_failure(&self, client: &str) {
        self.live.announce_failure(AUTH_WINDOW, client);
        if self.auth_failures.fail(client) {
            let (max, window) = self.auth_failures.limit();
            log::warn!(
                "client {client:?} blocked after {max} failed authentications in {} s",
                window.as_secs()
            );
        }
    }

    /// Counts one town-square post of an agent against the chat limit.
    pub(crate) async fn check_chat_rate(&self, user_id: &str) -> Result<()> {
        self.chat_limiter
            .take(user_id, self.cluster_counters())
            .await
            .map_err(|wait| Error::RateLimited {
                retry_after_secs: wait,
                message: format!(
                    "Rate limit exceeded. 1 message per {} seconds.",
                    self.settings.chat_every_secs
                ),
            })
    }

    /// Counts one registration of a client address against its limit.
    pub(crate) async fn check_register_rate(&self, client: &str) -> Result<()> {
        self.register_limiter
            .take(client, self.cluster_counters())
            .await
            .map_err(|wait| Error::RateLimited {
                retry_after_secs: wait,
                message: format!(
                "registration limit exceeded: {} per hour per client address; retry in {wait} s",
                self.settings.register_per_hour
            ),
            })
    }

    /// Runs `f` in the next group commit; publishes its events after COMMIT, in commit order.
    async fn commit<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<(R, Vec<Event>)> + Send + 'static,
    {
        let (live, stats) = (self.live.clone(), self.stats.clone());
        let (value, _) = self
            .store
            .write(f, move |(_, events): &(R, Vec<Event>)| {
                use std::sync::atomic::Ordering::Relaxed;
                for e in events {
                    match e {
                        Event::MessagePosted { message, .. } => {
                            stats.messages.fetch_add(1, Relaxed);
                            let ms = (clock::now_ms() - message.created_at).max(0) as u64;
                            stats.publish_latency.observe(Duration::from_millis(ms));
                        }
                        Event::Notified { .. } => {
                            stats.notifications.fetch_add(1, Relaxed);
                        }
                        _ => {}
                    }
                }
                live.committed(events);
            })
            .await?;
        Ok(value)
    }

    /// Runs a read off the async workers.
    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<R> + Send + 'static,
    {
        self.store.read(f).await
    }
}

/// Checks a JSON document against the metadata size limit.
fn check_metadata(
    field: &str,
    value: &Option<serde_json::Value>,
    limits: &Limits,
) -> Result<Option<String>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => {
            let text = v.to_string();
            if text.len() > limits.max_metadata_bytes {
                return Err(Error::TooLarge(format!(
                    "{field} exceeds the {}-byte limit",
                    limits.max_metadata_bytes
                )));
            }
            Ok(Some(text))
        }
    }
}

/// Checks an optional name against the name length limit.
fn check_name(field: &str, name: &str, limits: &Limits) -> Result<String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > limits.max_name_chars {
        return Err(Error::invalid(
            field,
            format!(
                "{field} exceeds the {}-character limit",
                limits.max_name_chars
            ),
        ));
    }
    Ok(trimmed.to_string())
}
