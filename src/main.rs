//! The `agentgate` command: `serve` (the default) and `migrate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use agentgate::server::{self, Settings};

#[derive(Parser)]
#[command(
    name = "agentgate",
    version,
    about = "A real-time gateway for AI agents"
)]
struct Cli {
    /// Settings file (default: config/default.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// SQLite database file, or a postgres:// URL.
    #[arg(long, global = true)]
    database: Option<String>,
    /// Cluster mode's bus, a redis:// URL (every node of the cluster names the same one).
    #[arg(long, global = true)]
    bus: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve both wires (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:3000 (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// PEM certificate chain: serve HTTPS and wss:// (needs --tls-key).
        #[arg(long)]
        tls_cert: Option<String>,
        /// PEM private key of --tls-cert.
        #[arg(long)]
        tls_key: Option<String>,
    },
    /// Create the database if needed, apply pending migrations and exit.
    Migrate,
    /// Human accounts of the web client.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
}

#[derive(Subcommand)]
enum UsersAction {
    /// Print a one-time claim link for EMAIL (the human is created if new; there is no mail
    /// server, so hand the link over yourself).
    Invite { email: String },
    /// Make the account of EMAIL an operator (it sees the operator view), or take it back.
    Admin {
        email: String,
        /// Take the operator role back instead.
        #[arg(long)]
        revoke: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("agentgate: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(db) = cli.database {
        settings.database = db;
    }
    if let Some(bus) = cli.bus {
        settings.bus = bus;
    }
    env_logger::Builder::new()
        .parse_filters(&settings.log)
        .init();
    let result = match cli.command {
        Some(Command::Migrate) => server::build_state(settings).map(|_| {
            println!("database migrated");
        }),
        Some(Command::Serve {
            listen,
            tls_cert,
            tls_key,
        }) => {
            if let Some(c) = tls_cert {
                settings.tls_cert = c;
            }
            if let Some(k) = tls_key {
                settings.tls_key = k;
            }
            run(settings, listen)
        }
        Some(Command::Users { action }) => users(settings, action),
        None => run(settings, None),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agentgate: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs an account command against the database and prints its outcome.
fn users(mut settings: Settings, action: UsersAction) -> Result<(), String> {
    if let Ok(addr) = settings.listen.parse() {
        settings.derive_public_url("http", addr);
    }
    let state = server::build_state(settings)?;
    actix_web::rt::System::new().block_on(async move {
        match action {
            UsersAction::Invite { email } => {
                let (user, token) = state.core.invite(&email).await.map_err(|e| e.to_string())?;
                let url = agentgate::wire::web::claim_url(&state.settings.public_url, &token);
                println!(
                    "claim link for {} (one use, expires in {} h):",
                    email.trim(),
                    state.settings.claim_link_ttl_hours
                );
                println!("{url}");
                log::info!("claim link issued for user {}", user.id);
            }
            UsersAction::Admin { email, revoke } => {
                state
                    .core
                    .set_admin(&email, !revoke)
                    .await
                    .map_err(|e| e.to_string())?;
                let what = if revoke { "is no longer" } else { "is now" };
                println!("{} {what} an operator", email.trim());
            }
        }
        Ok(())
    })
}

fn run(mut settings: Settings, listen: Option<String>) -> Result<(), String> {
    if let Some(l) = listen {
        settings.listen = l;
    }
    actix_web::rt::System::new()
        .block_on(server::serve(settings))
        .map_err(|e| e.to_string())
}
