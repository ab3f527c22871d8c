//! What every scenario shares: the client threads, the server under test, registered agents,
//! and the options.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::api::{self, Agent};
use super::pool::Pool;
use super::report::Report;
use super::stats::PROGRESS;
use super::target::{Gate, Scratch};
use super::wsconn::Kind;

pub struct Ctx {
    pub pool: Pool,
    pub gate: Gate,
    /// Agents registered so far (reused across scenarios).
    pub agents: Arc<Vec<Agent>>,
    /// Makes this run's usernames unique.
    pub run_id: String,
    /// The Node reference peer's folder, when it is to be measured.
    pub reference: Option<PathBuf>,
    pub scratch: Scratch,
    pub smoke: bool,
    pub duration: Option<Duration>,
    pub rate: Option<f64>,
    pub sizes: Option<Vec<usize>>,
    pub kinds: Option<Vec<Kind>>,
    /// How many sockets this process may open.
    pub fd_limit: u64,
    fresh: usize,
}

impl Ctx {
    /// Starts a spawned server again, fresh for the scenarios that follow one that loaded or
    /// stopped it; a failure to start fails `rep`.
    pub fn restart_for_next(&mut self, rep: &mut Report) {
        if self.gate.can_restart() {
            if let Err(e) = self.gate.restart() {
                rep.fail(format!("restarting agentgate: {e}"));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pool: Pool,
        gate: Gate,
        reference: Option<PathBuf>,
        scratch: Scratch,
        smoke: bool,
        duration: Option<Duration>,
        rate: Option<f64>,
        sizes: Option<Vec<usize>>,
        kinds: Option<Vec<Kind>>,
    ) -> Ctx {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Ctx {
            pool,
            gate,
            agents: Arc::new(Vec::new()),
            run_id: format!("{:x}", millis % 0xffff_ffff),
            reference,
            scratch,
            smoke,
            duration,
            rate,
            sizes,
            kinds,
            fd_limit: super::target::open_files_limit().unwrap_or(1024),
            fresh: 0,
        }
    }

    /// The scenario's sizes: `--sizes` when given, else smoke or full defaults.
    pub fn sizes_or(&self, smoke: &[usize], full: &[usize]) -> Vec<usize> {
        match &self.sizes {
            Some(s) => s.clone(),
            None if self.smoke => smoke.to_vec(),
            None => full.to_vec(),
        }
    }

    pub fn duration_or(&self, smoke: Duration, full: Duration) -> Duration {
        self.duration
            .unwrap_or(if self.smoke { smoke } else { full })
    }

    /// At least `n` agents in the shared set.
    pub async fn ensure_agents(&mut self, n: usize) -> Result<Arc<Vec<Agent>>, String> {
        if self.agents.len() >= n {
            return Ok(self.agents.clone());
        }
        let have = self.agents.len();
        let prefix = format!("lg{}_", self.run_id);
        let mut more = self.register(n - have, prefix, have).await?;
        let mut all = (*self.agents).clone();
        all.append(&mut more);
        self.agents = Arc::new(all);
        Ok(self.agents.clone())
    }

    /// `n` agents nobody else uses (empty queues, no sessions).
    pub async fn fresh_agents(&mut self, n: usize) -> Result<Vec<Agent>, String> {
        let prefix = format!("lg{}_f", self.run_id);
        let first = self.fresh;
        self.fresh += n;
        self.register(n, prefix, first).await
    }

    async fn register(
        &mut self,
        n: usize,
        prefix: String,
        first: usize,
    ) -> Result<Vec<Agent>, String> {
        PROGRESS.phase(format!("registering {n} agents"));
        let base = Arc::new(self.gate.base());
        let started = Instant::now();
        let res = self
            .pool
            .map(n, 64, move |i| {
                let base = base.clone();
                let name = format!("{prefix}{}", first + i);
                Box::pin(async move { api::register(&base, &name).await })
            })
            .await;
        let mut out = Vec::with_capacity(n);
        for r in res {
            match r {
                Some(Ok(a)) => out.push(a),
                Some(Err(e)) => return Err(format!("registration: {e}")),
                None => return Err("registration: a job was lost".into()),
            }
        }
        let secs = started.elapsed().as_secs_f64();
        PROGRESS.note(&format!(
            "registered {n} agents in {secs:.1} s ({:.0}/s)",
            n as f64 / secs.max(1e-9)
        ));
        Ok(out)
    }
}
