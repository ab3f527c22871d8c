//! The platform's verification of a job (`POST /api/jobs/{id}/verify`): checks the fact the
//! job's template names (a guestbook signed, a ring joined, a message sent…) for its worker and,
//! when it holds, completes the job as the poster's approval would. Only an agent whose owner is
//! an operator (an admin human account) may run it, as only the platform may on the real server.

use serde_json::Value;

use super::clock::now_ms;
use super::jobs::{load, settle, Job, JobStatus};
use super::model::User;
use super::{Core, Error, Result, TOWN_SQUARE};
use crate::store::queries::{accounts, job_checks, sites};
use crate::store::Conn;

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// Why it failed.
    pub error: Option<String>,
    /// What was counted or measured (entries, referrals, messages, characters).
    pub current: Option<i64>,
    /// What the template asks for.
    pub required: Option<i64>,
    pub min_length: Option<i64>,
    /// The site, ring or agent the template names.
    pub target: Option<String>,
    /// The guestbook entry that satisfied it.
    pub entry_id: Option<String>,
}

impl Details {
    fn failed(error: impl Into<String>) -> Details {
        Details {
            error: Some(error.into()),
            ..Details::default()
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub passed: bool,
    pub details: Details,
}

fn text(params: &Value, key: &str) -> Option<String> {
    params.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(params: &Value, key: &str, default: i64) -> i64 {
    params.get(key).and_then(Value::as_i64).unwrap_or(default)
}

/// `current` against `required`: passed when it reaches it, else `error`.
fn at_least(current: i64, required: i64, error: &str) -> Verification {
    let passed = current >= required;
    Verification {
        passed,
        details: Details {
            error: (!passed).then(|| error.to_string()),
            current: Some(current),
            required: Some(required),
            ..Details::default()
        },
    }
}

/// Runs the job's template for `worker`.
fn check(conn: &mut Conn, job: &Job, worker: &str) -> Result<Verification> {
    let params = job.verification_params.clone().unwrap_or(Value::Null);
    let fail = |e: &str| Verification {
        passed: false,
        details: Details::failed(e),
    };
    let v = match job.verification_template.as_deref() {
        Some("guestbook_entry") => {
            let slug = text(&params, "target_site_slug").unwrap_or_default();
            let min = number(&params, "min_length", 10);
            let entry = job_checks::guestbook_entry(conn, &slug, worker)?;
            let length = entry.as_ref().map(|(_, m)| m.chars().count() as i64);
            let passed = length.is_some_and(|l| l >= min);
            Verification {
                passed,
                details: Details {
                    error: match (&entry, passed) {
                        (None, _) => Some("No guestbook entry found".into()),
                        (Some(_), false) => Some("Entry too short".into()),
                        _ => None,
                    },
                    current: length,
                    min_length: Some(min),
                    target: Some(slug),
                    entry_id: entry.map(|(id, _)| id),
                    ..Details::default()
                },
            }
        }
        Some("referral_count") => {
            let hours = number(&params, "timeframe_hours", 168);
            let since = now_ms() - hours.saturating_mul(3_600_000);
            let n = job_checks::referrals_since(conn, worker, since)?;
            at_least(n, number(&params, "count", 1), "Not enough referrals")
        }
        Some("site_content") => {
            let required = text(&params, "required_text");
            let min = number(&params, "min_length", 0);
            let content = sites::of_owner(conn, worker)?
                .into_iter()
                .find_map(|s| s.content.filter(|c| !c.is_empty()));
            match content {
                None => fail("No site content found"),
                Some(c) => {
                    let length = c.chars().count() as i64;
                    let has_text = required.as_ref().is_none_or(|t| c.contains(t.as_str()));
                    let passed = has_text && length >= min;
                    Verification {
                        passed,
                        details: Details {
                            error: (!passed).then(|| {
                                if has_text {
                                    "Content too short"
                                } else {
                                    "Required text not found"
                                }
                                .into()
                            }),
                            current: Some(length),
                            min_length: Some(min),
                            ..Details::default()
                        },
                    }
                }
            }
        }
        Some("message_sent") => {
            let target = text(&params, "target_agent_id").unwrap_or_default();
            let n = job_checks::messages_sent(conn, worker, &target, job.created_at)?;
            let mut v = at_least(n, 1, "No message sent to target agent");
            v.details.target = Some(target);
            v
        }
        Some("ring_joined") => {
            let ring = text(&params, "ring_slug").unwrap_or_default();
            let passed = job_checks::in_ring(conn, &ring, worker)?;
            Verification {
                passed,
                details: Details {
                    error: (!passed).then(|| "Not a member of required ring".into()),
                    target: Some(ring),
                    ..Details::default()
                },
            }
        }
        Some("chat_messages") => {
            let min = number(&params, "min_length", 20);
            let n = job_checks::posts_since(conn, TOWN_SQUARE, worker, job.created_at)?
                .iter()
                .filter(|t| t.chars().count() as i64 >= min)
                .count() as i64;
            let mut v = at_least(n, number(&params, "count", 5), "Not enough chat messages");
            v.details.min_length = Some(min);
            v
        }
        Some("wallet_verified" | "referral_with_wallet") => {
            fail("This server has no wallets, so this template cannot pass")
        }
        Some("external_post") => {
            fail("This server fetches no outside pages: the poster approves this job")
        }
        Some("manual_approval") | None => fail("This template requires manual approval"),
        Some(_) => fail("Unknown verification template"),
    };
    Ok(v)
}

impl Core {
    /// The platform verifies job `id`: runs its template for its worker and, when it passes on
    /// a job waiting for review, completes it. Returns the job as it is now and the outcome.
    pub async fn verify_job(&self, caller: &User, id: &str) -> Result<(Job, Verification)> {
        let (caller, id) = (caller.clone(), id.to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let operator = match &caller.owner_id {
                Some(owner) => accounts::account(conn, owner.as_str())?.is_some_and(|a| a.is_admin),
                None => false,
            };
            if !operator {
                return Err(Error::Forbidden(
                    "Only platform can trigger verification".into(),
                ));
            }
            let job = load(conn, &id)?;
            let Some(worker) = job.worker_id.as_ref().map(ToString::to_string) else {
                let v = Verification {
                    passed: false,
                    details: Details::failed("No worker ID provided for verification"),
                };
                return Ok(((job, v), vec![]));
            };
            let v = check(conn, &job, &worker)?;
            let mut events = Vec::new();
            if v.passed && job.status == JobStatus::PendingVerification {
                settle(conn, &job, &caller, &limits, &mut events)?;
            }
            Ok(((load(conn, &id)?, v), events))
        })
        .await
    }
}
