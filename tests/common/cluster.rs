//! A cluster for the tests: agentgate nodes on one PostgreSQL database (the server named by
//! `AGENTGATE_TEST_POSTGRES`) and a private Redis the test may stop and start (`redis-server`
//! on a free loopback port, nothing kept on disk).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Database, Server};

/// A private Redis server.
pub struct Redis {
    child: Option<Child>,
    /// Its loopback port.
    pub port: u16,
}

impl Redis {
    /// Starts one on a free port.
    pub fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut r = Redis { child: None, port };
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
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
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

/// Nodes on one database and one bus.
pub struct Cluster {
    /// The nodes, each its own process on its own port.
    pub nodes: Vec<Server>,
    /// The bus.
    pub redis: Redis,
    /// The shared database (dropped last).
    pub db: Database,
}

impl Cluster {
    /// `n` nodes, or `None` when no PostgreSQL server is under test (the SQLite pass).
    pub fn start(n: usize) -> Option<Cluster> {
        if !Database::on_postgres() {
            eprintln!("cluster tests run in the PostgreSQL pass (AGENTGATE_TEST_POSTGRES unset)");
            return None;
        }
        let db = Database::fresh();
        let redis = Redis::start();
        let nodes = (0..n).map(|_| Cluster::node(&db, &redis)).collect();
        Some(Cluster { nodes, redis, db })
    }

    fn node(db: &Database, redis: &Redis) -> Server {
        Server::on(&db.url, &[("AGENTGATE_BUS", &redis.url())])
    }

    /// Replaces node `i` by a fresh process on the same database and bus.
    pub fn restart_node(&mut self, i: usize) {
        self.nodes[i].kill();
        self.nodes[i] = Cluster::node(&self.db, &self.redis);
    }
}
