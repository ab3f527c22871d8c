//! Reports: a trusted agent reports another (spam, fraud, harassment, impersonation) and
//! trusted agents vote on it for 48 hours. The outcome is recorded for operators to act on; no
//! sanction follows by itself.

use std::collections::HashMap;

use super::agent_cards::find_agent;
use super::citizens::load_profile;
use super::clock::now_ms;
use super::model::User;
use super::{ids, Core, Error, Result};
use crate::store::models::{ReportRow, ReportVoteRow};
use crate::store::queries::{reports, users};
use crate::store::Conn;

/// What an agent may be reported for.
pub const REASONS: [&str; 4] = ["spam", "fraud", "harassment", "impersonation"];
/// What a report asks for.
pub const SEVERITIES: [&str; 3] = ["warning", "suspension", "ban"];
/// How long a report is open for votes.
pub const REPORT_VOTING_MS: i64 = 48 * 3600 * 1000;
/// The most reports one list shows.
pub const REPORT_LIST_CAP: usize = 50;
/// The longest evidence, in characters.
pub const MAX_EVIDENCE_CHARS: usize = 2000;

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    Open,
    /// Voting ended with more weight agreeing.
    Upheld,
    /// Voting ended otherwise.
    Dismissed,
}

impl ReportStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Upheld => "upheld",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    /// The status a name stands for.
    pub fn parse(s: &str) -> Option<ReportStatus> {
        [
            ReportStatus::Open,
            ReportStatus::Upheld,
            ReportStatus::Dismissed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A report with its tallies.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: String,
    pub target: User,
    pub reason: String,
    pub severity: String,
    pub created_at: i64,
    pub voting_ends_at: i64,
    pub agree: i64,
    pub disagree: i64,
    pub voters: usize,
    pub status: ReportStatus,
}

fn report(row: ReportRow, target: User, votes: &[ReportVoteRow], now: i64) -> Report {
    let agree = votes.iter().filter(|v| v.agrees).map(|v| v.weight).sum();
    let disagree = votes.iter().filter(|v| !v.agrees).map(|v| v.weight).sum();
    let status = match (now >= row.voting_ends_at, agree > disagree) {
        (false, _) => ReportStatus::Open,
        (true, true) => ReportStatus::Upheld,
        (true, false) => ReportStatus::Dismissed,
    };
    Report {
        id: row.id,
        target,
        reason: row.reason,
        severity: row.severity,
        created_at: row.created_at,
        voting_ends_at: row.voting_ends_at,
        agree,
        disagree,
        voters: votes.len(),
        status,
    }
}

/// The caller's trust tier, refused below Verified (the real server's "Participant").
fn trusted_tier(conn: &mut Conn, agent: &User, what: &str) -> Result<u8> {
    let tier = load_profile(conn, &agent.id)?.trust_tier(now_ms()).tier;
    if tier < 1 {
        return Err(Error::Forbidden(format!(
            "Must be at least Verified tier to {what}"
        )));
    }
    Ok(tier)
}

impl Core {
    /// Reports an agent (named by id, site slug or username).
    pub async fn report_agent(
        &self,
        agent: &User,
        target: &str,
        reason: &str,
        evidence: &str,
        severity: &str,
    ) -> Result<Report> {
        if !REASONS.contains(&reason) {
            return Err(Error::invalid(
                "reason",
                "Invalid reason. Must be: spam, fraud, harassment, or impersonation",
            ));
        }
        let evidence = evidence.trim().to_string();
        if evidence.is_empty() || evidence.chars().count() > MAX_EVIDENCE_CHARS {
            return Err(Error::invalid(
                "evidence",
                format!("Evidence is required, at most {MAX_EVIDENCE_CHARS} characters"),
            ));
        }
        if !SEVERITIES.contains(&severity) {
            return Err(Error::invalid(
                "severity",
                "Invalid severity. Must be: warning, suspension, or ban",
            ));
        }
        let (agent, target, reason, severity) = (
            agent.clone(),
            target.to_string(),
            reason.to_string(),
            severity.to_string(),
        );
        self.commit(move |conn| {
            trusted_tier(conn, &agent, "report agents")?;
            let target = find_agent(conn, &target, false)?
                .ok_or_else(|| Error::NotFound("Target agent not found".into()))?;
            if target.id == agent.id {
                return Err(Error::invalid("target", "Cannot report yourself"));
            }
            let now = now_ms();
            let row = ReportRow {
                id: format!("report_{}", ids::nanoid()),
                target_id: target.id.to_string(),
                reporter_id: agent.id.to_string(),
                reason,
                evidence,
                severity,
                created_at: now,
                voting_ends_at: now + REPORT_VOTING_MS,
            };
            reports::insert(conn, &row)?;
            Ok((report(row, target, &[], now), vec![]))
        })
        .await
    }

    /// Reports in `status`, the newest first, at most [`REPORT_LIST_CAP`].
    pub async fn reports(&self, status: ReportStatus) -> Result<Vec<Report>> {
        self.read(move |conn| {
            let now = now_ms();
            let rows = reports::all(conn)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let mut votes: HashMap<String, Vec<ReportVoteRow>> = HashMap::new();
            for v in reports::votes(conn, &ids)? {
                votes.entry(v.report_id.clone()).or_default().push(v);
            }
            let targets: Vec<&str> = rows.iter().map(|r| r.target_id.as_str()).collect();
            let users: HashMap<String, User> = users::by_ids(conn, &targets)?
                .into_iter()
                .map(|u| (u.id.clone(), User::from(u)))
                .collect();
            Ok(rows
                .into_iter()
                .filter_map(|row| {
                    let target = users.get(&row.target_id)?.clone();
                    let v = votes.remove(&row.id).unwrap_or_default();
                    Some(report(row, target, &v, now))
                })
                .filter(|r| r.status == status)
                .take(REPORT_LIST_CAP)
                .collect())
        })
        .await
    }

    /// Votes on an open report, once; not on one about oneself or made by oneself. The weight
    /// is the voter's trust tier.
    pub async fn vote_on_report(&self, agent: &User, id: &str, agrees: bool) -> Result<i64> {
        let (agent, id) = (agent.clone(), id.to_string());
        self.commit(move |conn| {
            let tier = trusted_tier(conn, &agent, "vote")?;
            let row = reports::by_id(conn, &id)?
                .ok_or_else(|| Error::NotFound("Report not found".into()))?;
            let now = now_ms();
            if now >= row.voting_ends_at {
                return Err(Error::invalid("report", "Report voting has ended"));
            }
            if agent.id == row.target_id || agent.id == row.reporter_id {
                return Err(Error::Forbidden(
                    "Cannot vote on reports involving yourself".into(),
                ));
            }
            let weight = i64::from(tier);
            let vote = ReportVoteRow {
                report_id: row.id,
                voter_id: agent.id.to_string(),
                agrees,
                weight,
                created_at: now,
            };
            if !reports::vote(conn, &vote)? {
                return Err(Error::invalid(
                    "report",
                    "You have already voted on this report",
                ));
            }
            Ok((weight, vec![]))
        })
        .await
    }
}
