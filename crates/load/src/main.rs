//! `agentgate-load`: the load generator of agentgate's performance figures.
//!
//! It starts agentgate itself (`--server PATH`, on a temporary database, with the rate limits
//! off) or targets a running one (`--url http://127.0.0.1:PORT`), optionally starts the Node
//! reference peer (`bench/node-reference`), runs the scenarios and prints one Markdown table
//! per scenario (and `--json FILE`). Only 127.0.0.1 is ever contacted. Every loop is bounded in
//! count and time. The exit code is 1 when a scenario failed (errors, nothing delivered).
//!
//! ```text
//! agentgate-load all --smoke --server target/debug/agentgate
//! agentgate-load fanout --server target/release/agentgate --sizes 2000 --json fanout.json
//! agentgate-load scale --server target/release/agentgate --sizes 19000 --source-addresses 2
//! ```
//!
//! See docs/PERFORMANCE.md.

mod api;
mod ctx;
mod drain;
mod fanout;
mod idle;
mod longpoll;
mod pool;
mod report;
mod scale;
mod sends;
mod slow;
mod stats;
mod storm;
mod target;
mod wsconn;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use ctx::Ctx;
use report::Report;
use stats::PROGRESS;
use target::{Gate, Scratch};
use wsconn::Kind;

#[derive(Parser)]
#[command(
    name = "agentgate-load",
    version,
    about = "Load generator for agentgate (127.0.0.1 only)"
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
    /// The agentgate binary to start on a temporary database (default:
    /// target/release/agentgate).
    #[arg(long, global = true, conflicts_with = "url")]
    server: Option<PathBuf>,
    /// A running agentgate to target instead, http://127.0.0.1:PORT (its rate limits must be
    /// off, as in LOAD_ENV: AGENTGATE_RATE_LIMIT_PER_MIN=0, AGENTGATE_MAX_CONNECTIONS_PER_IP=0 …).
    #[arg(long, global = true)]
    url: Option<String>,
    /// With --url: the server's pid, for the memory figures.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// The Node reference peer's folder; measured when its node_modules are installed.
    #[arg(long, global = true, default_value = "bench/node-reference")]
    reference: PathBuf,
    /// Do not measure the Node reference.
    #[arg(long, global = true)]
    no_reference: bool,
    /// Small sizes: every scenario in a few seconds (a functional check).
    #[arg(long, global = true)]
    smoke: bool,
    /// Client threads.
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
    /// Also write the results as JSON to this file.
    #[arg(long, global = true)]
    json: Option<PathBuf>,
    /// Sizes of a single scenario, e.g. `--sizes 1000,5000,10000` (agents, listeners,
    /// connections, notifications or watchers).
    #[arg(long, global = true, value_delimiter = ',')]
    sizes: Option<Vec<usize>>,
    /// Seconds per measurement (sends, fan-out phases); for idle, how long the sockets sit
    /// before each reading (default 2).
    #[arg(long, global = true)]
    duration: Option<f64>,
    /// Fan-out steady post rate, posts per second.
    #[arg(long, global = true)]
    rate: Option<f64>,
    /// Listener kinds for fan-out and idle.
    #[arg(long, global = true, value_delimiter = ',')]
    kinds: Option<Vec<KindArg>>,
    /// Where the temporary database goes (default: the system temp folder).
    #[arg(long, global = true)]
    db_dir: Option<PathBuf>,
    /// Open WebSockets from this many loopback source addresses, 127.0.0.1 up to 127.0.0.N
    /// (one address has about 28,000 ephemeral ports toward one server port).
    #[arg(long, global = true, default_value_t = 1)]
    source_addresses: u8,
}

#[derive(Subcommand, Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    /// Every scenario but `scale` (which stops the server and wants the whole machine), in order.
    All,
    /// 1. Durable REST sends.
    Sends,
    /// 2. Fan-out to town-square listeners.
    Fanout,
    /// 3. Idle connections: memory per connection.
    Idle,
    /// 4. Offline drain of queued notifications.
    Drain,
    /// 5. Long-poll wake-up.
    Longpoll,
    /// 6. Reconnect storm: delivery while receivers drop and reconnect.
    Storm,
    /// 7. Slow consumers: healthy listeners beside sockets that never read.
    Slow,
    /// 8. Scale: many idle sockets, fan-out to a subset, /health, SIGTERM drain
    Scale,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum KindArg {
    Raw,
    Web,
    SioJson,
    SioMsgpack,
    NodeJson,
    NodeMsgpack,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Raw => Kind::Raw,
            KindArg::Web => Kind::Web,
            KindArg::SioJson => Kind::SioJson,
            KindArg::SioMsgpack => Kind::SioMsgpack,
            KindArg::NodeJson => Kind::NodeJson,
            KindArg::NodeMsgpack => Kind::NodeMsgpack,
        }
    }
}

fn main() -> ExitCode {
    stats::start_clock();
    let cli = Cli::parse();
    if cli.threads == 0 || cli.threads > 64 {
        eprintln!("agentgate-load: --threads must be 1..=64");
        return ExitCode::from(2);
    }
    if let Some(d) = cli.duration {
        if !(d > 0.0 && d <= 600.0) {
            eprintln!("agentgate-load: --duration must be in (0, 600] seconds");
            return ExitCode::from(2);
        }
    }
    if let Some(r) = cli.rate {
        if !(r > 0.0 && r <= 10_000.0) {
            eprintln!("agentgate-load: --rate must be in (0, 10000] posts/s");
            return ExitCode::from(2);
        }
    }
    if let Some(s) = &cli.sizes {
        if s.iter().any(|&n| n == 0 || n > 100_000) {
            eprintln!("agentgate-load: --sizes must be in 1..=100000");
            return ExitCode::from(2);
        }
    }
    if cli.source_addresses == 0 || cli.source_addresses > 250 {
        eprintln!("agentgate-load: --source-addresses must be 1..=250");
        return ExitCode::from(2);
    }
    pool::set_source_addresses(cli.source_addresses);
    let system = actix_web::rt::System::new();
    system.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let scratch = match Scratch::new(cli.db_dir.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("agentgate-load: {e}");
            return ExitCode::from(2);
        }
    };
    let gate = match (&cli.url, &cli.server) {
        (Some(url), _) => match target::loopback_base(url) {
            Ok(base) => Gate::External {
                base,
                pid: cli.server_pid,
            },
            Err(e) => {
                eprintln!("agentgate-load: {e}");
                return ExitCode::from(2);
            }
        },
        (None, server) => {
            let binary = server
                .clone()
                .unwrap_or_else(|| PathBuf::from("target/release/agentgate"));
            if !binary.is_file() {
                eprintln!(
                    "agentgate-load: {} not found (build it, or pass --server PATH or --url)",
                    binary.display()
                );
                return ExitCode::from(2);
            }
            match Gate::spawn(&binary, &scratch) {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("agentgate-load: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    if let Err(e) = api::health(&gate.base()).await {
        eprintln!("agentgate-load: {} is not answering: {e}", gate.base());
        return ExitCode::from(2);
    }
    let reference = reference_dir(&cli.reference, cli.no_reference);
    let scenarios = match cli.scenario {
        Scenario::All => vec![
            Scenario::Sends,
            Scenario::Fanout,
            Scenario::Idle,
            Scenario::Drain,
            Scenario::Longpoll,
            Scenario::Storm,
            Scenario::Slow,
        ],
        s => vec![s],
    };
    let sizes = if scenarios.len() > 1 && cli.sizes.is_some() {
        eprintln!("agentgate-load: --sizes applies to one scenario; ignored with `all`");
        None
    } else {
        cli.sizes.clone()
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let load_start = target::loadavg();
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mode = if gate.can_restart() { "spawned" } else { "url" };
    println!(
        "agentgate-load: {} at {} ({mode}), {cores} cores, load average {load_start}, {} client threads{}",
        scenarios
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
        gate.base(),
        cli.threads,
        if cli.smoke { ", smoke sizes" } else { "" }
    );
    if reference.is_none() && !cli.no_reference {
        println!(
            "agentgate-load: no Node reference ({}/node_modules missing: run `npm ci` there)",
            cli.reference.display()
        );
    }
    stats::start_progress_printer();
    let mut ctx = Ctx::new(
        pool::Pool::new(cli.threads),
        gate,
        reference,
        scratch,
        cli.smoke,
        cli.duration.map(Duration::from_secs_f64),
        cli.rate,
        sizes,
        cli.kinds
            .as_ref()
            .map(|k| k.iter().map(|&k| Kind::from(k)).collect()),
    );
    let mut reports: Vec<Report> = Vec::new();
    for s in scenarios {
        let report = match ctx.gate.check_alive() {
            Err(e) => {
                let mut r = Report::new("server", "agentgate");
                r.fail(e);
                r
            }
            Ok(()) => match s {
                Scenario::Sends => sends::run(&mut ctx).await,
                Scenario::Fanout => fanout::run(&mut ctx).await,
                Scenario::Idle => idle::run(&mut ctx).await,
                Scenario::Drain => drain::run(&mut ctx).await,
                Scenario::Longpoll => longpoll::run(&mut ctx).await,
                Scenario::Storm => storm::run(&mut ctx).await,
                Scenario::Slow => slow::run(&mut ctx).await,
                Scenario::Scale => scale::run(&mut ctx).await,
                Scenario::All => continue,
            },
        };
        PROGRESS.clear_line();
        println!("\n{}", report.table());
        reports.push(report);
        if let Some(path) = &cli.json {
            let doc = document(&reports, &cli, &ctx, cores, &load_start, &started_at);
            if let Err(e) = write_json(path, &doc) {
                eprintln!("agentgate-load: {e}");
            }
        }
    }
    let failed: Vec<&str> = reports.iter().filter(|r| !r.ok()).map(|r| r.id).collect();
    println!(
        "agentgate-load: {} scenarios, {} failed{}; load average at the end {}",
        reports.len(),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" ({})", failed.join(", "))
        },
        target::loadavg()
    );
    drop(ctx);
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The reference folder when it is usable.
fn reference_dir(dir: &Path, off: bool) -> Option<PathBuf> {
    if off {
        return None;
    }
    dir.join("node_modules")
        .join("socket.io")
        .is_dir()
        .then(|| dir.to_path_buf())
}

fn document(
    reports: &[Report],
    cli: &Cli,
    ctx: &Ctx,
    cores: usize,
    load_start: &str,
    started_at: &str,
) -> Value {
    json!({
        "tool": "agentgate-load",
        "version": env!("CARGO_PKG_VERSION"),
        "started_at": started_at,
        "smoke": cli.smoke,
        "machine": {
            "cores": cores,
            "load_average_at_start": load_start,
            "open_files_limit": ctx.fd_limit,
        },
        "target": {
            "mode": if ctx.gate.can_restart() { "spawned" } else { "url" },
            "base": ctx.gate.base(),
        },
        "client_threads": cli.threads,
        "reference": ctx.reference.as_ref().map(|p| p.display().to_string()),
        "ok": reports.iter().all(Report::ok),
        "scenarios": reports.iter().map(Report::json).collect::<Vec<_>>(),
    })
}

fn write_json(path: &Path, doc: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(doc).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
