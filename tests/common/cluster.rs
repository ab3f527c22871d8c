//! A cluster for the tests: agentgate nodes on one PostgreSQL database (the server named by
//! `AGENTGATE_TEST_POSTGRES`), a private Redis the test may stop and start (`redis-server` on a
//! free loopback port, nothing kept on disk), HAProxy in front, and a TCP relay to PostgreSQL
//! the test can cut.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Database, Server};

/// A loopback port free now, for a process started later (a node, Redis, HAProxy).
///
/// Taken below Linux's ephemeral range (32768 and up), where the kernel hands out ports to
/// everything that binds port 0: a port picked there and released could be taken by another
/// test's server before the process meant for it binds it ("Address already in use").
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() as u16).wrapping_mul(7919);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (seed.wrapping_add(n.wrapping_mul(97)) % 12_000);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Waits until something accepts connections on a loopback port.
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A private Redis server.
pub struct Redis {
    child: Option<Child>,
    /// Its loopback port.
    pub port: u16,
}

impl Redis {
    /// Starts one on a free port.
    pub fn start() -> Redis {
        let mut r = Redis {
            child: None,
            port: free_port(),
        };
        r.spawn();
        r
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("redis-server (scripts/test.sh installs it)");
        self.child = Some(child);
        wait_for_port(self.port, "redis-server");
    }

    /// Kills it (SIGKILL): every node loses its subscription.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Nodes on one database and one bus, each on a fixed loopback port.
pub struct Cluster {
    /// The nodes, each its own process.
    pub nodes: Vec<Server>,
    /// Each node's port (a restarted node takes its port again).
    pub ports: Vec<u16>,
    /// The bus.
    pub redis: Redis,
    /// What the nodes take as `--database` (the database itself, or a relay to it).
    pub database_url: String,
    /// Environment every node gets beyond the bus.
    env: Vec<(String, String)>,
    /// The shared database (dropped last).
    pub db: Database,
}

impl Cluster {
    /// `n` nodes, or `None` when no PostgreSQL server is under test (the SQLite pass).
    pub fn start(n: usize) -> Option<Cluster> {
        Cluster::start_via(n, None, &[])
    }

    /// `n` nodes that reach PostgreSQL through `relay` when given, with extra environment.
    pub fn start_via(n: usize, relay: Option<&Relay>, env: &[(&str, &str)]) -> Option<Cluster> {
        if !Database::on_postgres() {
            eprintln!("cluster tests run in the PostgreSQL pass (AGENTGATE_TEST_POSTGRES unset)");
            return None;
        }
        let db = Database::fresh();
        let database_url = match relay {
            Some(r) => r.url_of(&db.url),
            None => db.url.clone(),
        };
        let redis = Redis::start();
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let mut cluster = Cluster {
            nodes: Vec::new(),
            ports,
            redis,
            database_url,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            db,
        };
        cluster.nodes = (0..n).map(|i| cluster.node(i)).collect();
        Some(cluster)
    }

    fn node(&self, i: usize) -> Server {
        let bus = self.redis.url();
        let mut env: Vec<(&str, &str)> = vec![("AGENTGATE_BUS", &bus)];
        env.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Server::on_listen(
            &self.database_url,
            &format!("127.0.0.1:{}", self.ports[i]),
            &env,
        )
    }

    /// Starts node `i` again (after a kill) on its port, database and bus.
    pub fn restart_node(&mut self, i: usize) {
        self.nodes[i].kill();
        self.nodes[i] = self.node(i);
    }
}

/// HAProxy in front of the nodes: round robin, health checks every 300 ms, a node that fails
/// one check out of rotation, and the `SERVERID` cookie for the Engine.IO long-polling
/// stickiness every Socket.IO deployment needs.
pub struct Haproxy {
    child: Child,
    /// Where clients connect.
    pub base: String,
    _config: tempfile::NamedTempFile,
}

impl Haproxy {
    /// Starts HAProxy in front of nodes on these ports.
    pub fn start(ports: &[u16]) -> Haproxy {
        let port = free_port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server n{i} 127.0.0.1:{p} cookie n{i}\n"))
            .collect();
        let config = format!(
            "global\n    maxconn 4096\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n    \
             timeout server 60s\n    timeout tunnel 1h\n    retries 3\n    option redispatch\n\
             frontend agentgate\n    bind 127.0.0.1:{port}\n    default_backend nodes\n\
             backend nodes\n    balance roundrobin\n    option httpchk GET /health\n    \
             http-check expect status 200\n    cookie SERVERID insert indirect nocache\n    \
             default-server inter 300ms fall 1 rise 1 check\n{servers}"
        );
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, config.as_bytes()).expect("write haproxy.cfg");
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(file.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy (scripts/test.sh installs it)");
        wait_for_port(port, "haproxy");
        Haproxy {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _config: file,
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a relay does with traffic.
const PASS: u8 = 0;
const CUT: u8 = 1;
const SILENT: u8 = 2;

/// A TCP relay the test can break: cut (every relayed connection closed, new ones refused at
/// once, as when a server is down) or silent (connections stay open and everything sent is
/// lost, as in a network partition that closes nothing).
pub struct Relay {
    port: u16,
    mode: Arc<AtomicU8>,
}

impl Relay {
    /// A relay towards the server of `AGENTGATE_TEST_POSTGRES`.
    pub fn to_postgres() -> Relay {
        let base = std::env::var("AGENTGATE_TEST_POSTGRES").unwrap_or_default();
        let target = base
            .rsplit('@')
            .next()
            .unwrap_or("127.0.0.1:5432")
            .trim_end_matches('/')
            .to_string();
        Relay::to(target)
    }

    /// A relay towards `target` (`host:port`), on its own threads.
    pub fn to(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay port");
        let port = listener.local_addr().expect("relay address").port();
        let mode = Arc::new(AtomicU8::new(PASS));
        let flag = mode.clone();
        std::thread::spawn(move || {
            for incoming in listener.incoming() {
                let Ok(client) = incoming else { continue };
                if flag.load(Ordering::SeqCst) == CUT {
                    continue; // dropped: refused at once
                }
                let Ok(server) = std::net::TcpStream::connect(&target) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ] {
                    let (Ok(from), Ok(to)) = (from, to) else {
                        continue;
                    };
                    let flag = flag.clone();
                    std::thread::spawn(move || pump(from, to, &flag));
                }
            }
        });
        Relay { port, mode }
    }

    /// The relay's URL for a scheme (`redis://127.0.0.1:PORT`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The URL of a database on the server, through the relay.
    pub fn url_of(&self, db_url: &str) -> String {
        let name = db_url.rsplit('/').next().unwrap_or_default();
        let user = db_url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('@').next())
            .unwrap_or("postgres");
        format!("postgres://{user}@127.0.0.1:{}/{name}", self.port)
    }

    /// Cuts the server off (true) or lets it through again (false).
    pub fn set_cut(&self, cut: bool) {
        self.mode
            .store(if cut { CUT } else { PASS }, Ordering::SeqCst);
    }

    /// Loses everything without closing anything (true), or lets it through again (false).
    pub fn set_silent(&self, silent: bool) {
        self.mode
            .store(if silent { SILENT } else { PASS }, Ordering::SeqCst);
    }
}

/// Copies one direction of a relayed connection as the relay's mode says.
fn pump(mut from: std::net::TcpStream, mut to: std::net::TcpStream, mode: &AtomicU8) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0u8; 16 * 1024];
    loop {
        let now = mode.load(Ordering::SeqCst);
        if now == CUT {
            break;
        }
        match std::io::Read::read(&mut from, &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if now == PASS && std::io::Write::write_all(&mut to, &buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}
