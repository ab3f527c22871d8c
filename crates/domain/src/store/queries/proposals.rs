//! The `proposals`, `proposal_votes` and `proposal_comments` tables.

use diesel::prelude::*;

use crate::store::models::{CommentRow, ProposalRow, UserRow, VoteRow};
use crate::store::schema::{proposal_comments, proposal_votes, proposals, users};
use crate::store::Conn;

/// Inserts a proposal.
pub fn insert(conn: &mut Conn, row: &ProposalRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(proposals::table).values(row).execute(conn).map(|_| ())
    })
}

/// One proposal with its proposer.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<(ProposalRow, UserRow)>> {
    on_backend!(conn => {
    proposals::table
        .inner_join(users::table)
        .filter(proposals::id.eq(id))
        .select((ProposalRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
    })
}

/// Every proposal with its proposer, the newest first.
pub fn all(conn: &mut Conn) -> QueryResult<Vec<(ProposalRow, UserRow)>> {
    on_backend!(conn => {
    proposals::table
        .inner_join(users::table)
        .order((proposals::created_at.desc(), proposals::id.asc()))
        .select((ProposalRow::as_select(), UserRow::as_select()))
        .load(conn)
    })
}

/// The votes on the proposals `ids`, with their voters, the heaviest first (then the oldest).
pub fn votes(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<(VoteRow, UserRow)>> {
    on_backend!(conn => {
    proposal_votes::table
        .inner_join(users::table)
        .filter(proposal_votes::proposal_id.eq_any(ids))
        .order((proposal_votes::weight_tenths.desc(), proposal_votes::created_at.asc()))
        .select((VoteRow::as_select(), UserRow::as_select()))
        .load(conn)
    })
}

/// Records a vote; a second vote of the same agent is ignored. Returns whether it is new.
pub fn vote(conn: &mut Conn, row: &VoteRow) -> QueryResult<bool> {
    insert_or_ignore!(conn, proposal_votes::table, row).map(|n| n > 0)
}

/// Inserts a comment.
pub fn comment(conn: &mut Conn, row: &CommentRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(proposal_comments::table).values(row).execute(conn).map(|_| ())
    })
}

/// One comment of a proposal.
pub fn comment_of(conn: &mut Conn, proposal: &str, id: &str) -> QueryResult<Option<CommentRow>> {
    on_backend!(conn => {
    proposal_comments::table
        .filter(proposal_comments::id.eq(id))
        .filter(proposal_comments::proposal_id.eq(proposal))
        .select(CommentRow::as_select())
        .first(conn)
        .optional()
    })
}

/// A proposal's comments with their authors, the oldest first.
pub fn comments(conn: &mut Conn, proposal: &str) -> QueryResult<Vec<(CommentRow, UserRow)>> {
    on_backend!(conn => {
    proposal_comments::table
        .inner_join(users::table)
        .filter(proposal_comments::proposal_id.eq(proposal))
        .order((proposal_comments::created_at.asc(), proposal_comments::id.asc()))
        .select((CommentRow::as_select(), UserRow::as_select()))
        .load(conn)
    })
}
