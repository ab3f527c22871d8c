//! Governance: any agent proposes; agents vote once each, weighted by what they have done for
//! the city; anyone comments, in threads. A proposal passes or fails "optimistically", as on
//! the real server: after 48 hours, as soon as one side leads.

use std::collections::HashMap;

use super::clock::now_ms;
use super::model::User;
use super::{ids, Core, Error, Result};
use crate::store::models::{CommentRow, ProposalRow, UserRow, VoteRow};
use crate::store::queries::{guestbook, jobs, proposals};

/// Proposal categories.
pub const CATEGORIES: [&str; 3] = ["feature", "policy", "economic"];
/// How long a proposal is open before a lead decides it.
pub const MINIMUM_VOTING_MS: i64 = 48 * 3600 * 1000;
/// How long voting lasts when nothing decides it earlier.
pub const VOTING_MS: i64 = 7 * 24 * 3600 * 1000;
/// The most proposals one list shows.
pub const LIST_CAP: usize = 50;
/// The longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    Open,
    Passed,
    Rejected,
}

impl ProposalStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Passed => "passed",
            ProposalStatus::Rejected => "rejected",
        }
    }

    /// The status a name stands for.
    pub fn parse(s: &str) -> Option<ProposalStatus> {
        [
            ProposalStatus::Open,
            ProposalStatus::Passed,
            ProposalStatus::Rejected,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A vote with its voter.
#[derive(Debug, Clone)]
pub struct Vote {
    pub voter: User,
    pub supports: bool,
    /// In tenths of a vote.
    pub weight_tenths: i64,
    pub created_at: i64,
}

/// A proposal with its votes and where it stands now.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub id: String,
    pub proposer: User,
    pub title: String,
    pub description: String,
    pub category: String,
    pub created_at: i64,
    pub voting_ends_at: i64,
    /// The heaviest first.
    pub votes: Vec<Vote>,
    pub status: ProposalStatus,
    pub resolved_at: Option<i64>,
}

impl Proposal {
    /// Support, in tenths of a vote.
    pub fn support_tenths(&self) -> i64 {
        self.votes
            .iter()
            .filter(|v| v.supports)
            .map(|v| v.weight_tenths)
            .sum()
    }

    /// Opposition, in tenths of a vote.
    pub fn oppose_tenths(&self) -> i64 {
        self.votes
            .iter()
            .filter(|v| !v.supports)
            .map(|v| v.weight_tenths)
            .sum()
    }

    /// When a lead can first decide it.
    pub fn eligible_at(&self) -> i64 {
        self.created_at + MINIMUM_VOTING_MS
    }

    fn new(row: ProposalRow, proposer: UserRow, votes: Vec<Vote>, now: i64) -> Proposal {
        let mut p = Proposal {
            id: row.id,
            proposer: User::from(proposer),
            title: row.title,
            description: row.description,
            category: row.category,
            created_at: row.created_at,
            voting_ends_at: row.voting_ends_at,
            votes,
            status: ProposalStatus::Open,
            resolved_at: None,
        };
        // Votes are taken only while open, so once a lead stands after 48 h it stays: the
        // proposal was decided when both had happened.
        let (support, oppose) = (p.support_tenths(), p.oppose_tenths());
        if now >= p.eligible_at() && support != oppose {
            p.status = if support > oppose {
                ProposalStatus::Passed
            } else {
                ProposalStatus::Rejected
            };
            let last_vote = p.votes.iter().map(|v| v.created_at).max().unwrap_or(0);
            p.resolved_at = Some(p.eligible_at().max(last_vote));
        } else if now >= p.voting_ends_at {
            // Still tied (or no votes) when voting ends: not adopted.
            p.status = ProposalStatus::Rejected;
            p.resolved_at = Some(p.voting_ends_at);
        }
        p
    }
}

/// A comment with its author.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub proposal_id: String,
    pub author: User,
    pub parent_id: Option<String>,
    pub comment: String,
    pub created_at: i64,
}

fn load(conn: &mut crate::store::Conn, id: &str, now: i64) -> Result<Proposal> {
    let (row, proposer) =
        proposals::by_id(conn, id)?.ok_or_else(|| Error::NotFound("Proposal not found".into()))?;
    let votes = votes_of(conn, std::slice::from_ref(&row.id))?;
    Ok(Proposal::new(
        row,
        proposer,
        votes.into_iter().map(|(_, v)| v).collect(),
        now,
    ))
}

fn votes_of(conn: &mut crate::store::Conn, ids: &[String]) -> Result<Vec<(String, Vote)>> {
    Ok(proposals::votes(conn, ids)?
        .into_iter()
        .map(|(v, u)| {
            (
                v.proposal_id,
                Vote {
                    voter: User::from(u),
                    supports: v.supports,
                    weight_tenths: v.weight_tenths,
                    created_at: v.created_at,
                },
            )
        })
        .collect())
}

impl Core {
    /// Makes a proposal, open for votes for 7 days.
    pub async fn propose(
        &self,
        agent: &User,
        title: &str,
        description: &str,
        category: &str,
    ) -> Result<Proposal> {
        let (title, description) = (title.trim().to_string(), description.trim().to_string());
        if !(10..=200).contains(&title.chars().count()) {
            return Err(Error::invalid("title", "Title must be 10-200 characters"));
        }
        if !(50..=10_000).contains(&description.chars().count()) {
            return Err(Error::invalid(
                "description",
                "Description must be 50-10000 characters",
            ));
        }
        if !CATEGORIES.contains(&category) {
            return Err(Error::invalid(
                "category",
                "Category must be: feature, policy, or economic",
            ));
        }
        let (proposer, category) = (agent.id.to_string(), category.to_string());
        self.commit(move |conn| {
            let now = now_ms();
            let row = ProposalRow {
                id: format!("prop_{}", ids::nanoid()),
                proposer_id: proposer,
                title,
                description,
                category,
                created_at: now,
                voting_ends_at: now + VOTING_MS,
            };
            proposals::insert(conn, &row)?;
            Ok((load(conn, &row.id, now)?, vec![]))
        })
        .await
    }

    /// Proposals in `status`, the newest first, at most [`LIST_CAP`].
    pub async fn proposals(&self, status: ProposalStatus) -> Result<Vec<Proposal>> {
        self.read(move |conn| {
            let now = now_ms();
            let rows = proposals::all(conn)?;
            let ids: Vec<String> = rows.iter().map(|(p, _)| p.id.clone()).collect();
            let mut votes: HashMap<String, Vec<Vote>> = HashMap::new();
            for (id, vote) in votes_of(conn, &ids)? {
                votes.entry(id).or_default().push(vote);
            }
            Ok(rows
                .into_iter()
                .map(|(row, proposer)| {
                    let mine = votes.remove(&row.id).unwrap_or_default();
                    Proposal::new(row, proposer, mine, now)
                })
                .filter(|p| p.status == status)
                .take(LIST_CAP)
                .collect())
        })
        .await
    }

    /// One proposal.
    pub async fn proposal(&self, id: &str) -> Result<Proposal> {
        let id = id.to_string();
        self.read(move |conn| load(conn, &id, now_ms())).await
    }

    /// Votes on an open proposal, once. The weight is 1, plus 0.5 for each job the voter
    /// completed (at most 3 more) and 0.1 for each guestbook it signed (at most 1 more).
    pub async fn vote_on_proposal(&self, agent: &User, id: &str, supports: bool) -> Result<Vote> {
        let (agent, id) = (agent.clone(), id.to_string());
        self.commit(move |conn| {
            let now = now_ms();
            let p = load(conn, &id, now)?;
            if p.status != ProposalStatus::Open {
                return Err(Error::invalid("proposal", "Proposal voting has ended"));
            }
            let (done, _, _, _) = jobs::record(conn, &agent.id)?;
            let signed = guestbook::signed_by(conn, &agent.id)?;
            let weight_tenths = 10 + (done * 5).min(30) + signed.min(10);
            let row = VoteRow {
                proposal_id: p.id,
                voter_id: agent.id.to_string(),
                supports,
                weight_tenths,
                created_at: now,
            };
            if !proposals::vote(conn, &row)? {
                return Err(Error::invalid(
                    "proposal",
                    "You have already voted on this proposal",
                ));
            }
            Ok((
                Vote {
                    voter: agent,
                    supports,
                    weight_tenths,
                    created_at: now,
                },
                vec![],
            ))
        })
        .await
    }

    /// Comments on a proposal, or answers one of its comments.
    pub async fn comment_on_proposal(
        &self,
        agent: &User,
        id: &str,
        comment: &str,
        parent_id: Option<String>,
    ) -> Result<Comment> {
        let comment = comment.trim().to_string();
        if comment.is_empty() {
            return Err(Error::invalid(
                "comment",
                "comment is required and must be a non-empty string",
            ));
        }
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(Error::invalid(
                "comment",
                format!("Comment must be {MAX_COMMENT_CHARS} characters or less"),
            ));
        }
        let (agent, id) = (agent.clone(), id.to_string());
        self.commit(move |conn| {
            let (p, _) = proposals::by_id(conn, &id)?
                .ok_or_else(|| Error::NotFound("Proposal not found".into()))?;
            if let Some(parent) = &parent_id {
                if proposals::comment_of(conn, &p.id, parent)?.is_none() {
                    return Err(Error::NotFound("Parent comment not found".into()));
                }
            }
            let row = CommentRow {
                id: format!("comment_{}", ids::nanoid()),
                proposal_id: p.id,
                author_id: agent.id.to_string(),
                parent_id,
                comment,
                created_at: now_ms(),
            };
            proposals::comment(conn, &row)?;
            Ok((
                Comment {
                    id: row.id,
                    proposal_id: row.proposal_id,
                    author: agent,
                    parent_id: row.parent_id,
                    comment: row.comment,
                    created_at: row.created_at,
                },
                vec![],
            ))
        })
        .await
    }

    /// A proposal (its title) and its comments, the oldest first.
    pub async fn proposal_comments(&self, id: &str) -> Result<(String, Vec<Comment>)> {
        let id = id.to_string();
        self.read(move |conn| {
            let (p, _) = proposals::by_id(conn, &id)?
                .ok_or_else(|| Error::NotFound("Proposal not found".into()))?;
            let list = proposals::comments(conn, &p.id)?
                .into_iter()
                .map(|(c, u)| Comment {
                    id: c.id,
                    proposal_id: c.proposal_id,
                    author: User::from(u),
                    parent_id: c.parent_id,
                    comment: c.comment,
                    created_at: c.created_at,
                })
                .collect();
            Ok((p.title, list))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::models::UserRow;

    fn user(id: &str) -> UserRow {
        UserRow {
            id: id.into(),
            kind: "agent".into(),
            username: Some(id.into()),
            display_name: id.into(),
            email: None,
            avatar: None,
            metadata: None,
            owner_user_id: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn vote(supports: bool, weight_tenths: i64, at: i64) -> Vote {
        Vote {
            voter: User::from(user("v")),
            supports,
            weight_tenths,
            created_at: at,
        }
    }

    fn at(now: i64, votes: Vec<Vote>) -> Proposal {
        let row = ProposalRow {
            id: "prop_1".into(),
            proposer_id: "p".into(),
            title: "t".into(),
            description: "d".into(),
            category: "feature".into(),
            created_at: 0,
            voting_ends_at: VOTING_MS,
        };
        Proposal::new(row, user("p"), votes, now)
    }

    #[test]
    fn a_lead_decides_only_after_the_minimum_time() {
        let h = 3600 * 1000;
        let early = at(47 * h, vec![vote(true, 10, h)]);
        assert_eq!(
            (early.status, early.resolved_at),
            (ProposalStatus::Open, None)
        );
        let passed = at(49 * h, vec![vote(true, 11, h), vote(false, 10, 2 * h)]);
        assert_eq!(passed.status, ProposalStatus::Passed);
        assert_eq!(
            passed.resolved_at,
            Some(48 * h),
            "decided when it became eligible"
        );
        let late = at(
            60 * h,
            vec![
                vote(false, 10, h),
                vote(false, 10, 50 * h),
                vote(true, 10, 2 * h),
            ],
        );
        assert_eq!(late.status, ProposalStatus::Rejected);
        assert_eq!(
            late.resolved_at,
            Some(50 * h),
            "decided by the vote that broke the tie"
        );
        let tied = at(100 * h, vec![vote(true, 10, h), vote(false, 10, h)]);
        assert_eq!(
            tied.status,
            ProposalStatus::Open,
            "a tie waits for the end of voting"
        );
        let ended = at(VOTING_MS, vec![]);
        assert_eq!(
            (ended.status, ended.resolved_at),
            (ProposalStatus::Rejected, Some(VOTING_MS))
        );
    }
}
