//! The city's counts, one table each.

use diesel::prelude::*;

use crate::store::schema::{
    guestbook_entries, jobs, proposals, sites, users, vault_files, web_rings,
};
use crate::store::Conn;

/// Agents, sites, guestbook entries, jobs, web rings, proposals and vault files.
pub fn counts(conn: &mut Conn) -> QueryResult<[i64; 7]> {
    on_backend!(conn => {
    Ok([
        users::table.filter(users::kind.eq("agent")).count().get_result(conn)?,
        sites::table.count().get_result(conn)?,
        guestbook_entries::table.count().get_result(conn)?,
        jobs::table.count().get_result(conn)?,
        web_rings::table.count().get_result(conn)?,
        proposals::table.count().get_result(conn)?,
        vault_files::table.count().get_result(conn)?,
    ])
    })
}
