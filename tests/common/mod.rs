//! Test support, one module for every integration test: starts the real `agentgate` binary on
//! port 0 with a fresh database and talks to it over HTTP like any client. The database is a
//! temporary SQLite file, or, when `AGENTGATE_TEST_POSTGRES` names a PostgreSQL server
//! (`postgres://user@host:port`), a database of its own on that server, dropped at the end: the
//! same suites prove both backends. Submodules:
//! `engine` (the Engine.IO/Socket.IO layer on its own server, raw clients), `sio` (a Socket.IO
//! client of the MoChat wire), `mc` (MoltCities keys and signed calls), `mc_ws` (a raw
//! MoltCities WebSocket client), `web` (a browser-like client of the web API).
#![allow(dead_code)]

pub mod cluster;
pub mod engine;
pub mod mc;
pub mod mc_ws;
pub mod sio;
pub mod web;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// A running server process; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// The server's `--database`: a SQLite path or a PostgreSQL URL.
    pub db: String,
    _db: Option<Database>,
}

/// A fresh database for one test, removed when dropped.
pub struct Database {
    /// What `--database` takes: a SQLite path or a PostgreSQL URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server's base URL and the database's name.
    postgres: Option<(String, String)>,
}

impl Database {
    /// A fresh database on the backend under test: PostgreSQL when `AGENTGATE_TEST_POSTGRES`
    /// is set, SQLite otherwise.
    pub fn fresh() -> Database {
        match std::env::var("AGENTGATE_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => Database::postgres(&base),
            _ => Database::sqlite(),
        }
    }

    /// A fresh SQLite file, whatever the backend under test (for tests of SQLite itself).
    pub fn sqlite() -> Database {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir
            .path()
            .join("agentgate.db")
            .to_string_lossy()
            .to_string();
        Database {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// True when the backend under test is PostgreSQL.
    pub fn on_postgres() -> bool {
        std::env::var("AGENTGATE_TEST_POSTGRES").is_ok_and(|b| !b.is_empty())
    }

    fn postgres(base: &str) -> Database {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "agentgate_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin_sql(base, &format!("CREATE DATABASE {name}"));
        Database {
            url: format!("{base}/{name}"),
            _dir: None,
            postgres: Some((base.to_string(), name)),
        }
    }
}

/// The vault directory of servers on a PostgreSQL test database: one per database, shared by
/// every node on it (as cluster mode needs), removed with the database.
fn postgres_vault_dir(db_url: &str) -> std::path::PathBuf {
    let name = db_url.rsplit('/').next().unwrap_or("db");
    std::env::temp_dir().join(format!("agentgate-vault-{name}"))
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.postgres {
            let _ = std::fs::remove_dir_all(postgres_vault_dir(&self.url));
            admin_sql(
                base,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// Runs one statement on a PostgreSQL server's maintenance database.
fn admin_sql(base: &str, statement: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(&format!("{base}/postgres"))
        .expect("connect to the PostgreSQL server under test");
    diesel::sql_query(statement)
        .execute(&mut conn)
        .expect("PostgreSQL admin statement");
}

/// Runs SQL on a test database, either backend (to age sessions, links and challenges).
pub fn sql(db: &str, statement: &str) {
    use diesel::{Connection, RunQueryDsl};
    if db.starts_with("postgres://") {
        let mut conn = diesel::PgConnection::establish(db).expect("open database");
        diesel::sql_query(statement)
            .execute(&mut conn)
            .expect("statement");
    } else {
        let mut conn = diesel::SqliteConnection::establish(db).expect("open database");
        diesel::sql_query("PRAGMA busy_timeout = 5000")
            .execute(&mut conn)
            .expect("busy timeout");
        diesel::sql_query(statement)
            .execute(&mut conn)
            .expect("statement");
    }
}

/// Environment every test server gets unless a test overrides it: limits that would trip on
/// test traffic are off.
const QUIET: [(&str, &str); 5] = [
    ("AGENTGATE_RATE_LIMIT_PER_MIN", "0"),
    ("AGENTGATE_AUTH_FAILURES_PER_WINDOW", "0"),
    ("AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR", "0"),
    ("AGENTGATE_CHAT_RATE_LIMIT_SECS", "0"),
    ("AGENTGATE_LOG", "warn"),
];

impl Server {
    /// A server on a fresh database.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server process's resident memory in KiB (`VmRSS`), for memory bounds under abuse.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("server process status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in the server's status")
    }

    /// A server on a fresh database with extra environment.
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        Server::start_on(Database::fresh(), env)
    }

    /// A server that owns the database it runs on.
    pub fn start_on(db: Database, env: &[(&str, &str)]) -> Server {
        let mut s = Server::on(&db.url, env);
        s._db = Some(db);
        s
    }

    /// A server on an existing database (for restart tests).
    pub fn on(db: &str, env: &[(&str, &str)]) -> Server {
        Server::on_listen(db, "127.0.0.1:0", env)
    }

    /// A server on an existing database, listening on `listen` (a node behind a proxy).
    pub fn on_listen(db: &str, listen: &str, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agentgate"));
        cmd.args(["serve", "--listen", listen, "--database"])
            .arg(db)
            .env("AGENTGATE_WORKERS", "2")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if db.starts_with("postgres") {
            cmd.env("AGENTGATE_VAULT_DIR", postgres_vault_dir(db));
        }
        for (k, v) in QUIET.iter().chain(env.iter()) {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn agentgate");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            while let Some(Ok(line)) = lines.next() {
                if let Some(addr) = line.strip_prefix("agentgate listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server did not start");
        Server {
            child,
            base,
            db: db.to_string(),
            _db: None,
        }
    }

    /// Stops the process (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the process with SIGTERM and returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait")
    }

    /// The full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// An HTTP client for this server.
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(40))
                .finish(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A thin JSON client.
pub struct Client {
    pub base: String,
    pub http: awc::Client,
}

/// A response: status and parsed body (`Value::Null` when not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    /// The `data` of a success envelope; panics with the body otherwise.
    pub fn data(&self) -> &Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.body
        );
        assert_eq!(self.body["success"], json!(true), "{}", self.body);
        assert_eq!(self.body["code"], json!(200), "{}", self.body);
        &self.body["data"]
    }

    /// Asserts an error envelope with this status; returns its message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.body
        );
        assert_eq!(self.body["success"], json!(false), "{}", self.body);
        assert_eq!(self.body["code"], json!(status), "{}", self.body);
        assert_eq!(self.body["error"], self.body["message"], "{}", self.body);
        assert!(
            self.body["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{}",
            self.body
        );
        self.body["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    /// A client of any base URL (a proxy in front of servers, say).
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(40))
                .finish(),
        }
    }

    /// POSTs raw bytes with optional token.
    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> Resp {
        let mut req = self
            .http
            .post(format!("{}{}", self.base, path))
            .insert_header(("Content-Type", "application/json"));
        if let Some(t) = token {
            req = req.insert_header(("X-Claw-Token", t));
        }
        let mut res = req.send_body(body).await.expect("request failed");
        Self::finish(&mut res).await
    }

    /// POSTs a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.post_raw(path, token, serde_json::to_vec(&body).unwrap())
            .await
    }

    /// POSTs with no body at all, as the seed's `fetch` calls do.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Resp {
        self.post_raw(path, token, Vec::new()).await
    }

    /// The full URL of a path.
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A GET.
    pub async fn get(&self, path: &str) -> Resp {
        let mut res = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("request failed");
        Self::finish(&mut res).await
    }

    /// Reads a response into a `Resp`.
    pub async fn finish_pub<S>(res: &mut awc::ClientResponse<S>) -> Resp
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        Self::finish(res).await
    }

    async fn finish<S>(res: &mut awc::ClientResponse<S>) -> Resp
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body");
        Resp {
            status: res.status().as_u16(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
        }
    }

    /// Registers an agent with the seed body; returns (token, botUserId).
    pub async fn register(&self, username: &str) -> Agent {
        let r = self
            .post(
                "/api/claw/agents/selfRegister",
                None,
                json!({ "username": username, "displayName": format!("{username} display") }),
            )
            .await;
        let d = r.data();
        Agent {
            token: d["token"].as_str().unwrap().to_string(),
            id: d["botUserId"].as_str().unwrap().to_string(),
            username: username.to_string(),
        }
    }

    /// A claw call with the agent's token; returns the response.
    pub async fn call(&self, agent: &Agent, verb: &str, body: Value) -> Resp {
        self.post(&format!("/api/claw/{verb}"), Some(&agent.token), body)
            .await
    }

    /// Creates a session between `a` and the others; returns the session id.
    pub async fn session(&self, a: &Agent, others: &[&Agent]) -> String {
        let ids: Vec<&str> = others.iter().map(|o| o.id.as_str()).collect();
        let r = self
            .call(a, "sessions/create", json!({ "participants": ids }))
            .await;
        r.data()["sessionId"].as_str().unwrap().to_string()
    }

    /// Sends a message to a session; returns the message.
    pub async fn say(&self, a: &Agent, session: &str, content: &str) -> Value {
        let r = self
            .call(
                a,
                "sessions/send",
                json!({ "sessionId": session, "content": content }),
            )
            .await;
        r.data()["message"].clone()
    }
}

/// A registered agent.
#[derive(Debug, Clone)]
pub struct Agent {
    pub token: String,
    pub id: String,
    pub username: String,
}

/// The default group and its two text panels (fixed by the first migration).
pub const GROUP: &str = "6167656e7467617465000001";
pub const GENERAL: &str = "6167656e7467617465000002";
pub const TOWN_SQUARE: &str = "6167656e7467617465000003";

/// One request written byte for byte over raw TCP (HTTP clients rewrite `Connection` and the
/// upgrade headers), read until the server closes; the caller asks for the close (a
/// `Connection: close` header) or relies on one (refused upgrades). Returns status and body.
pub async fn raw_request(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
