//! The processes under test: agentgate started on a temporary database (or one given by
//! URL), and the Node reference peer. Everything is 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The environment a spawned agentgate gets: every limit that load would trip is off.
pub const LOAD_ENV: [(&str, &str); 7] = [
    ("AGENTGATE_RATE_LIMIT_PER_MIN", "0"),
    ("AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR", "0"),
    ("AGENTGATE_CHAT_RATE_LIMIT_SECS", "0"),
    // Every socket comes from 127.0.0.1, hundreds connecting at once, many per agent.
    ("AGENTGATE_SIO_UNAUTHENTICATED_PER_ADDRESS", "0"),
    ("AGENTGATE_SIO_SOCKETS_PER_AGENT", "0"),
    // Up to 10,000 idle connections, all from 127.0.0.1.
    ("AGENTGATE_MAX_CONNECTIONS_PER_IP", "0"),
    ("AGENTGATE_LOG", "warn"),
];

/// Checks that a base URL is `http://127.0.0.1:PORT` (no path); returns it without a
/// trailing slash.
pub fn loopback_base(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http://127.0.0.1:PORT is allowed"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest
        .split_once(':')
        .ok_or_else(|| format!("{url}: a port is required (http://127.0.0.1:PORT)"))?;
    if host != "127.0.0.1" {
        return Err(format!("{url}: the load generator only targets 127.0.0.1"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{url}: bad port (no path is allowed either)"))?;
    if port == 0 {
        return Err(format!("{url}: port 0"));
    }
    Ok(format!("http://127.0.0.1:{port}"))
}

/// Resident memory of a process in KiB (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The soft limit on open files of this process.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The 1-minute load average.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A child process that printed `<prefix>http://127.0.0.1:PORT` on standard output.
pub struct Proc {
    child: Child,
    pub base: String,
}

impl Proc {
    fn spawn(
        mut cmd: Command,
        prefix: &'static str,
        name: &str,
        log: &Path,
    ) -> Result<Proc, String> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        cmd.stdout(Stdio::piped()).stderr(Stdio::from(log_file));
        let mut child = cmd.spawn().map_err(|e| format!("starting {name}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps reading (and discarding) so the child never blocks on a full pipe.
            let mut lines = BufReader::new(stdout).lines();
            while let Some(Ok(line)) = lines.next() {
                if let Some(addr) = line.strip_prefix(prefix) {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(10).collect();
                return Err(format!(
                    "{name} did not print its address within 60 s; log tail: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ));
            }
        };
        let base = match loopback_base(&base) {
            Ok(b) => b,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Proc { child, base })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (through kill(1): the crate has no libc binding) and returns at once.
    pub fn sigterm(&self) -> Result<(), String> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .map_err(|e| format!("kill: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -TERM {}: {status}", self.child.id()))
        }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = self.sigterm();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// A scratch directory removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(parent: Option<&Path>) -> Result<Scratch, String> {
        let parent = parent
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let dir = parent.join(format!("agentgate-load-{}-{millis}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The agentgate under test.
pub enum Gate {
    /// Started by the generator; can be restarted on the same database.
    Spawned {
        binary: PathBuf,
        db: PathBuf,
        log: PathBuf,
        proc: Option<Proc>,
    },
    /// Already running at a given URL (its pid, when given, is used for memory figures).
    External { base: String, pid: Option<u32> },
}

impl Gate {
    pub fn spawn(binary: &Path, scratch: &Scratch) -> Result<Gate, String> {
        let binary = binary
            .canonicalize()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let mut g = Gate::Spawned {
            binary,
            db: scratch.dir.join("agentgate.db"),
            log: scratch.dir.join("agentgate.log"),
            proc: None,
        };
        g.restart()?;
        Ok(g)
    }

    /// Stops and starts a spawned server on the same database (a fresh process for memory
    /// figures). An external server cannot be restarted.
    pub fn restart(&mut self) -> Result<(), String> {
        match self {
            Gate::External { .. } => Err("an external server (--url) cannot be restarted".into()),
            Gate::Spawned {
                binary,
                db,
                log,
                proc,
            } => {
                if let Some(p) = proc.take() {
                    p.stop();
                }
                let mut cmd = Command::new(&*binary);
                // Run in the scratch folder: built-in defaults and the environment only, never
                // a config/default.toml of the working tree.
                cmd.args(["serve", "--listen", "127.0.0.1:0", "--database"])
                    .arg(&*db)
                    .current_dir(db.parent().unwrap_or(Path::new("/")));
                for (k, v) in LOAD_ENV {
                    cmd.env(k, v);
                }
                *proc = Some(Proc::spawn(
                    cmd,
                    "agentgate listening on ",
                    "agentgate",
                    log,
                )?);
                Ok(())
            }
        }
    }

    pub fn can_restart(&self) -> bool {
        matches!(self, Gate::Spawned { .. })
    }

    pub fn base(&self) -> String {
        match self {
            Gate::Spawned { proc, .. } => proc.as_ref().map(|p| p.base.clone()).unwrap_or_default(),
            Gate::External { base, .. } => base.clone(),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        match self {
            Gate::Spawned { proc, .. } => proc.as_ref().map(Proc::pid),
            Gate::External { pid, .. } => *pid,
        }
    }

    /// Sends SIGTERM to a spawned server without waiting (watch it with `running`); `restart`
    /// starts it again.
    pub fn terminate(&self) -> Result<(), String> {
        match self {
            Gate::Spawned { proc: Some(p), .. } => p.sigterm(),
            Gate::Spawned { proc: None, .. } => Err("agentgate is not running".into()),
            Gate::External { .. } => Err("an external server (--url) is not ours to stop".into()),
        }
    }

    /// Whether a spawned server is still running (an external one is assumed to be).
    pub fn running(&mut self) -> bool {
        match self {
            Gate::Spawned { proc, .. } => proc.as_mut().is_some_and(Proc::alive),
            Gate::External { .. } => true,
        }
    }

    /// Fails when a spawned server has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        if let Gate::Spawned {
            proc: Some(p), log, ..
        } = self
        {
            if !p.alive() {
                let tail = std::fs::read_to_string(&*log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                return Err(format!(
                    "agentgate exited; log tail: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ));
            }
        }
        Ok(())
    }
}

/// Starts the Node reference peer (`node server.js --parser json|msgpack`) in `dir`.
pub fn spawn_reference(dir: &Path, parser: &str, log: &Path) -> Result<Proc, String> {
    if !dir.join("node_modules").join("socket.io").is_dir() {
        return Err(format!(
            "{}: node_modules missing (run `npm ci` there)",
            dir.display()
        ));
    }
    let mut cmd = Command::new("node");
    cmd.current_dir(dir)
        .args(["server.js", "--port", "0", "--parser", parser]);
    Proc::spawn(
        cmd,
        "reference listening on ",
        &format!("node reference ({parser})"),
        log,
    )
}

/// User + system CPU time of a process in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
fn cpu_ticks(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU ticks of every thread of a process: (thread name, ticks) by thread id.
fn thread_ticks(pid: u32) -> std::collections::HashMap<u64, (String, u64)> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u64>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = fields
            .get(11)
            .and_then(|u| u.parse::<u64>().ok())
            .unwrap_or(0)
            + fields
                .get(12)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
        out.insert(tid, (name, ticks));
    }
    out
}

/// CPU used by the server and by this generator over an interval, in % of one core.
pub struct CpuMeter {
    server: Option<u32>,
    server_start: Option<u64>,
    server_threads: std::collections::HashMap<u64, (String, u64)>,
    client_start: Option<u64>,
    started: Instant,
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

impl CpuMeter {
    pub fn start(server: Option<u32>) -> CpuMeter {
        CpuMeter::start_at(server, Instant::now())
    }

    /// A meter whose interval begins at `at` (the ticks are read now: nothing may run between
    /// now and `at`).
    pub fn start_at(server: Option<u32>, at: Instant) -> CpuMeter {
        CpuMeter {
            server,
            server_start: server.and_then(|p| cpu_ticks(Some(p))),
            server_threads: server.map(thread_ticks).unwrap_or_default(),
            client_start: cpu_ticks(None),
            started: at,
        }
    }

    /// (server %, client %) of one core since `start`.
    pub fn read(&self) -> (Option<f64>, Option<f64>) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let pct = |start: Option<u64>, now: Option<u64>| {
            let d = now?.checked_sub(start?)?;
            Some(((d as f64 / TICKS_PER_SEC) / secs * 1000.0).round() / 10.0)
        };
        (
            pct(
                self.server_start,
                self.server.and_then(|p| cpu_ticks(Some(p))),
            ),
            pct(self.client_start, cpu_ticks(None)),
        )
    }

    /// The server's busiest threads since `start`: "name pct%", busiest first.
    pub fn top_threads(&self, n: usize) -> String {
        let Some(pid) = self.server else {
            return "-".into();
        };
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let mut by_name: std::collections::BTreeMap<String, (u64, usize)> = Default::default();
        for (tid, (name, ticks)) in thread_ticks(pid) {
            let before = self.server_threads.get(&tid).map(|t| t.1).unwrap_or(0);
            let e = by_name.entry(name).or_default();
            e.0 += ticks.saturating_sub(before);
            e.1 += 1;
        }
        let mut v: Vec<(String, u64, usize)> =
            by_name.into_iter().map(|(k, (t, c))| (k, t, c)).collect();
        v.sort_by_key(|b| std::cmp::Reverse(b.1));
        v.into_iter()
            .take(n)
            .map(|(name, t, count)| {
                let pct = (t as f64 / TICKS_PER_SEC) / secs * 100.0;
                if count > 1 {
                    format!("{name} ×{count} {pct:.0}%")
                } else {
                    format!("{name} {pct:.0}%")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
