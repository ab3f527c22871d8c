//! The `agent_reports` and `report_votes` tables.

use diesel::prelude::*;

use crate::store::models::{ReportRow, ReportVoteRow};
use crate::store::schema::{agent_reports, report_votes};
use crate::store::Conn;

/// Inserts a report.
pub fn insert(conn: &mut Conn, row: &ReportRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(agent_reports::table).values(row).execute(conn).map(|_| ())
    })
}

/// One report.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<ReportRow>> {
    on_backend!(conn => {
    agent_reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Every report, the newest first.
pub fn all(conn: &mut Conn) -> QueryResult<Vec<ReportRow>> {
    on_backend!(conn => {
    agent_reports::table
        .order((agent_reports::created_at.desc(), agent_reports::id.asc()))
        .select(ReportRow::as_select())
        .load(conn)
    })
}

/// The votes on the reports `ids`.
pub fn votes(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<ReportVoteRow>> {
    on_backend!(conn => {
    report_votes::table
        .filter(report_votes::report_id.eq_any(ids))
        .select(ReportVoteRow::as_select())
        .load(conn)
    })
}

/// Records a vote; a second vote of the same agent is ignored. Returns whether it is new.
pub fn vote(conn: &mut Conn, row: &ReportVoteRow) -> QueryResult<bool> {
    insert_or_ignore!(conn, report_votes::table, row).map(|n| n > 0)
}
