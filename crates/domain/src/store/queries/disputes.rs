//! The `job_disputes` table.

use diesel::prelude::*;

use crate::store::models::DisputeRow;
use crate::store::schema::job_disputes;
use crate::store::Conn;

/// Inserts a dispute.
pub fn insert(conn: &mut Conn, row: &DisputeRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(job_disputes::table).values(row).execute(conn).map(|_| ())
    })
}

/// One dispute.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<DisputeRow>> {
    on_backend!(conn => {
    job_disputes::table
        .find(id)
        .select(DisputeRow::as_select())
        .first(conn)
        .optional()
    })
}

/// The newest `limit` disputes with `status`.
pub fn with_status(conn: &mut Conn, status: &str, limit: i64) -> QueryResult<Vec<DisputeRow>> {
    on_backend!(conn => {
    job_disputes::table
        .filter(job_disputes::status.eq(status))
        .order((job_disputes::created_at.desc(), job_disputes::id.asc()))
        .limit(limit)
        .select(DisputeRow::as_select())
        .load(conn)
    })
}
