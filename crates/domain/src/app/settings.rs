//! Settings: defaults < config file < `AGENTGATE_*` environment < command-line flags.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Every runtime setting. Each field can be set in the config file under its own name, or in
/// the environment as `AGENTGATE_` + the name in upper case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// Where the data lives: a SQLite file path (created and migrated at start-up), or a
    /// `postgres://` URL for cluster mode.
    pub database: String,
    /// Cluster mode's bus: a `redis://` URL. Empty: one node, no bus.
    pub bus: String,
    /// env_logger filter.
    pub log: String,
    /// Raw WebSocket idle timeout.
    pub ws_idle_timeout_secs: u64,
    /// How often idle raw WebSockets are checked.
    pub ws_idle_check_secs: u64,
    /// Engine.IO ping interval.
    pub sio_ping_interval_ms: u64,
    /// Engine.IO ping timeout.
    pub sio_ping_timeout_ms: u64,
    /// Seconds between two chat posts of one agent (0 = off).
    pub chat_rate_limit_secs: u64,
    /// REST requests per agent per minute (0 = off).
    pub rate_limit_per_min: u32,
    /// Registrations per client address per hour (0 = off).
    pub register_rate_limit_per_hour: u32,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Longest message content in characters.
    pub max_message_chars: usize,
    /// Most participants in one session.
    pub max_participants: usize,
    /// Most ids in one request.
    pub max_ids_per_request: usize,
    /// Read connections in the pool.
    pub read_pool_size: u32,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// Also push the Tailchat-style `notify:chat.*` events to MoChat real-dialect sockets.
    pub mochat_tailchat_fallbacks: bool,
    /// Outbound queue of one live connection, in messages; a client that falls this far
    /// behind is disconnected as a slow consumer.
    pub outbound_queue: usize,
    /// Largest MoltCities town square (members on every node) whose joins and leaves are
    /// announced one by one (0 = any size).
    pub town_square_presence_max: usize,
    /// Frames a raw WebSocket client may send per second (twice that in a burst; 0 = off).
    pub ws_frames_per_sec: u32,
    /// Socket.IO events a client may emit per second (twice that in a burst; 0 = off).
    pub sio_events_per_sec: u32,
    /// Most notifications queued for replay per agent (older ones leave the replay, not the feed).
    pub notification_queue_cap: usize,
    /// Oldest a queued notification may be and still be replayed, in days.
    pub notification_max_age_days: u64,
    /// Largest Socket.IO message (and POST body, and bytes queued) of a connection that has
    /// not authenticated yet, in bytes; the full 1 MB applies once it joined a namespace.
    pub sio_pre_auth_max_bytes: usize,
    /// Socket.IO connections per client IP that have not authenticated yet (0 = no limit).
    pub sio_unauthenticated_per_address: usize,
    /// Socket.IO sockets one agent may have open at once (0 = no limit).
    pub sio_sockets_per_agent: usize,
    /// Failed authentications one client address may make per window before it is refused
    /// with 429 until the window ends (0 = off).
    pub auth_failures_per_window: u32,
    /// The failed-authentication window, in seconds.
    pub auth_failure_window_secs: u64,
    /// Proxies (IPs or CIDRs, comma-separated) whose `Forwarded` / `X-Forwarded-For` headers
    /// are believed; empty trusts none and the TCP peer is the client.
    pub trusted_proxies: String,
    /// Browser origins (comma-separated `scheme://host[:port]`, or `*`) allowed to open
    /// WebSockets and Engine.IO sessions; empty allows same-origin only.
    pub allowed_origins: String,
    /// When set, `/metrics` needs this bearer token (from any address); when empty, only a
    /// loopback peer that did not come through a proxy may read it.
    pub metrics_token: String,
    /// Longest a request body may take to arrive whole, in seconds (408 after it).
    pub body_timeout_secs: u64,
    /// Slowest a request body may arrive after its first 5 s, in bytes per second (0 = off).
    pub body_min_bytes_per_sec: u64,
    /// Concurrent TCP connections one client address may hold (0 = no cap).
    pub max_connections_per_ip: usize,
    /// PEM certificate chain to serve HTTPS and `wss://` with (empty = plain HTTP).
    pub tls_cert: String,
    /// PEM private key of `tls_cert`.
    pub tls_key: String,
    /// Who may create a web account without a claim link: `open`, `invite` or `off`.
    pub signup: String,
    /// The address people reach the server at, used in claim links (empty: derived from the
    /// listen address once bound).
    pub public_url: String,
    /// Serve the web client's files from this directory instead of the embedded copies
    /// (development: edit and reload without a rebuild; empty = embedded).
    pub web_dir: String,
    /// A browser session unused this many hours ends.
    pub web_session_idle_hours: u64,
    /// A browser session ends this many days after login, used or not.
    pub web_session_max_days: u64,
    /// Hours a claim link stays valid.
    pub claim_link_ttl_hours: u64,
    /// Failed logins per account per window before the account is refused (0 = off).
    pub login_failures_per_account: u32,
    /// The failed-login window, in seconds.
    pub login_failure_window_secs: u64,
    /// Where MoltCities vault files are kept. Empty: beside a SQLite database
    /// (`<database>.vault/`), or `./data/vault` in cluster mode, where every node must see the
    /// same directory (a shared volume).
    pub vault_dir: String,
    /// Largest vault file, in bytes.
    pub vault_max_file_bytes: u64,
    /// Most bytes of vault files one agent may keep.
    pub vault_quota_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:3000".into(),
            database: "./data/agentgate.db".into(),
            bus: String::new(),
            log: "info".into(),
            ws_idle_timeout_secs: 300,
            ws_idle_check_secs: 30,
            sio_ping_interval_ms: 25_000,
            sio_ping_timeout_ms: 20_000,
            chat_rate_limit_secs: 10,
            rate_limit_per_min: 120,
            register_rate_limit_per_hour: 30,
            max_body_bytes: 1024 * 1024,
            max_message_chars: 10_000,
            max_participants: 100,
            max_ids_per_request: 100,
            read_pool_size: 8,
            workers: 0,
            mochat_tailchat_fallbacks: false,
            outbound_queue: 1024,
            town_square_presence_max: 1000,
            ws_frames_per_sec: 20,
            sio_events_per_sec: 20,
            notification_queue_cap: 10_000,
            notification_max_age_days: 30,
            sio_pre_auth_max_bytes: 8 * 1024,
            sio_unauthenticated_per_address: 32,
            sio_sockets_per_agent: 32,
            auth_failures_per_window: 20,
            auth_failure_window_secs: 60,
            trusted_proxies: String::new(),
            allowed_origins: String::new(),
            metrics_token: String::new(),
            body_timeout_secs: 30,
            body_min_bytes_per_sec: 1024,
            max_connections_per_ip: 256,
            tls_cert: String::new(),
            tls_key: String::new(),
            signup: "open".into(),
            public_url: String::new(),
            web_dir: String::new(),
            web_session_idle_hours: 7 * 24,
            web_session_max_days: 30,
            claim_link_ttl_hours: 7 * 24,
            login_failures_per_account: 5,
            login_failure_window_secs: 15 * 60,
            vault_dir: String::new(),
            vault_max_file_bytes: 15 * 1024 * 1024,
            vault_quota_bytes: 100 * 1024 * 1024,
        }
    }
}

impl Settings {
    /// The vault directory: `vault_dir`, or its default for the database.
    pub fn vault_path(&self) -> PathBuf {
        if !self.vault_dir.is_empty() {
            return PathBuf::from(&self.vault_dir);
        }
        if self.database.starts_with("postgres://") || self.database.starts_with("postgresql://") {
            PathBuf::from("./data/vault")
        } else {
            PathBuf::from(format!("{}.vault", self.database))
        }
    }
}

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_CONFIG: &str = "config/default.toml";

impl Settings {
    /// Loads the settings: defaults, then `file` (or `config/default.toml` when present), then
    /// the environment. Flags are applied by the caller.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, String> {
        let mut table = toml::Table::try_from(Settings::default()).map_err(|e| e.to_string())?;
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
        };
        if let Some(p) = path {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read config {}: {e}", p.display()))?;
            let from_file: toml::Table = text
                .parse()
                .map_err(|e| format!("config {}: {e}", p.display()))?;
            for (k, v) in from_file {
                if !table.contains_key(&k) {
                    return Err(format!("config {}: unknown setting {k:?}", p.display()));
                }
                table.insert(k, v);
            }
        }
        let keys: Vec<String> = table.keys().cloned().collect();
        for key in keys {
            let name = format!("AGENTGATE_{}", key.to_uppercase());
            if let Some(raw) = env(&name) {
                let value = match table.get(&key) {
                    Some(toml::Value::Integer(_)) => raw
                        .trim()
                        .parse::<i64>()
                        .map(toml::Value::Integer)
                        .map_err(|_| format!("{name}: expected a whole number, got {raw:?}"))?,
                    Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str()
                    {
                        "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
                        "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
                        _ => return Err(format!("{name}: expected true or false, got {raw:?}")),
                    },
                    _ => toml::Value::String(raw),
                };
                table.insert(key, value);
            }
        }
        let settings: Settings = table
            .try_into()
            .map_err(|e: toml::de::Error| format!("settings: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if self.max_body_bytes < 1024 {
            return Err("max_body_bytes must be at least 1024".into());
        }
        if self.sio_pre_auth_max_bytes < 256 {
            // Below that a CONNECT carrying a token would not fit.
            return Err("sio_pre_auth_max_bytes must be at least 256".into());
        }
        if self.body_timeout_secs == 0 {
            return Err("body_timeout_secs must be at least 1".into());
        }
        if self.max_message_chars == 0 || self.max_participants < 2 || self.max_ids_per_request == 0
        {
            return Err(
                "message, participant and id limits must be positive (participants at least 2)"
                    .into(),
            );
        }
        self.net_policy()?;
        self.signup_mode()?;
        let url = self.public_url.trim_end_matches('/');
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "public_url must start with http:// or https://, got {:?}",
                self.public_url
            ));
        }
        if self.web_session_idle_hours == 0 || self.web_session_max_days == 0 {
            return Err("web_session_idle_hours and web_session_max_days must be positive".into());
        }
        Ok(())
    }

    /// The sign-up mode (the error names the bad value).
    pub fn signup_mode(&self) -> Result<crate::core::accounts::Signup, String> {
        crate::core::accounts::Signup::parse(&self.signup)
            .ok_or_else(|| format!("signup must be open, invite or off, got {:?}", self.signup))
    }

    /// Sets `public_url` from the bound address when none was configured: an unspecified
    /// address (0.0.0.0, ::) reads as `localhost`.
    pub fn derive_public_url(&mut self, scheme: &str, addr: std::net::SocketAddr) {
        if !self.public_url.is_empty() {
            self.public_url = self.public_url.trim_end_matches('/').to_string();
            return;
        }
        let host = if addr.ip().is_unspecified() {
            "localhost".to_string()
        } else if addr.is_ipv6() {
            format!("[{}]", addr.ip())
        } else {
            addr.ip().to_string()
        };
        self.public_url = format!("{scheme}://{host}:{}", addr.port());
    }

    /// The proxy and origin lists, parsed (the error names the bad entry).
    pub fn net_policy(&self) -> Result<agentgate_net::NetPolicy, String> {
        agentgate_net::NetPolicy::parse(&self.trusted_proxies, &self.allowed_origins)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9\"\nrate_limit_per_min = 5\n").unwrap();
        let s = Settings::load(Some(&file), |k| {
            (k == "AGENTGATE_RATE_LIMIT_PER_MIN").then(|| "7".to_string())
        })
        .unwrap();
        assert_eq!(s.listen, "0.0.0.0:9");
        assert_eq!(s.rate_limit_per_min, 7);
        assert_eq!(s.ws_idle_timeout_secs, 300);
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused_with_their_name() {
        let e = Settings::load(None, |k| {
            (k == "AGENTGATE_WS_IDLE_TIMEOUT_SECS").then(|| "soon".to_string())
        })
        .unwrap_err();
        assert!(e.contains("AGENTGATE_WS_IDLE_TIMEOUT_SECS"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let e = Settings::load(Some(&file), |_| None).unwrap_err();
        assert!(e.contains("lisen"), "{e}");
        let e = Settings::load(None, |k| {
            (k == "AGENTGATE_TRUSTED_PROXIES").then(|| "10.0.0.1, nonsense".to_string())
        })
        .unwrap_err();
        assert!(e.contains("nonsense"), "{e}");
    }
}
