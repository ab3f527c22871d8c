//! The `vault_files` table.

use diesel::prelude::*;

use crate::store::models::VaultFileRow;
use crate::store::schema::vault_files;
use crate::store::Conn;

/// Inserts a file's row.
pub fn insert(conn: &mut Conn, row: &VaultFileRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(vault_files::table).values(row).execute(conn).map(|_| ())
    })
}

/// One file.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<VaultFileRow>> {
    on_backend!(conn => {
    vault_files::table
        .find(id)
        .select(VaultFileRow::as_select())
        .first(conn)
        .optional()
    })
}

/// An agent's files, the newest first; only the public ones when `public_only`.
pub fn of_owner(conn: &mut Conn, owner: &str, public_only: bool) -> QueryResult<Vec<VaultFileRow>> {
    on_backend!(conn => {
    let mut q = vault_files::table
        .filter(vault_files::owner_id.eq(owner))
        .select(VaultFileRow::as_select())
        .into_boxed();
    if public_only {
        q = q.filter(vault_files::public.eq(true));
    }
    q.order((vault_files::created_at.desc(), vault_files::id.asc())).load(conn)
    })
}

/// How many bytes an agent's files take. (Summed here: PostgreSQL's SUM of a BIGINT is a
/// NUMERIC, which the multi-backend DSL cannot read.)
pub fn usage(conn: &mut Conn, owner: &str) -> QueryResult<i64> {
    let sizes: Vec<i64> = on_backend!(conn => {
    vault_files::table
        .filter(vault_files::owner_id.eq(owner))
        .select(vault_files::size)
        .load(conn)?
    });
    Ok(sizes.iter().sum())
}

/// Deletes a file's row.
pub fn delete(conn: &mut Conn, id: &str) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::delete(vault_files::table.find(id)).execute(conn).map(|_| ())
    })
}
