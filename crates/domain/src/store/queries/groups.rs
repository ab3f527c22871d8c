//! The `workspaces`, `chat_groups` and `group_members` tables.

use diesel::prelude::*;

use crate::store::models::{GroupMemberRow, GroupRow, UserRow, WorkspaceRow};
use crate::store::schema::{chat_groups, group_members, users, workspaces};
use crate::store::Conn;

/// One group by id.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<GroupRow>> {
    on_backend!(conn => {
    chat_groups::table
        .find(id)
        .select(GroupRow::as_select())
        .first(conn)
        .optional()
    })
}

/// One workspace by id.
pub fn workspace(conn: &mut Conn, id: &str) -> QueryResult<Option<WorkspaceRow>> {
    on_backend!(conn => {
    workspaces::table
        .find(id)
        .select(WorkspaceRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Adds a member; joining twice is a no-op.
pub fn add_member(conn: &mut Conn, row: &GroupMemberRow) -> QueryResult<()> {
    insert_or_ignore!(conn, group_members::table, row).map(|_| ())
}

/// Whether a user belongs to a group.
pub fn is_member(conn: &mut Conn, group_id: &str, user_id: &str) -> QueryResult<bool> {
    on_backend!(conn => {
    diesel::select(diesel::dsl::exists(
        group_members::table
            .filter(group_members::group_id.eq(group_id))
            .filter(group_members::user_id.eq(user_id)),
    ))
    .get_result(conn)
    })
}

/// The groups a user belongs to, oldest membership first.
pub fn of_user(conn: &mut Conn, user_id: &str) -> QueryResult<Vec<GroupRow>> {
    on_backend!(conn => {
    group_members::table
        .inner_join(chat_groups::table)
        .filter(group_members::user_id.eq(user_id))
        .order(group_members::joined_at.asc())
        .select(GroupRow::as_select())
        .load(conn)
    })
}

/// The members of a group, in joining order.
pub fn members(conn: &mut Conn, group_id: &str) -> QueryResult<Vec<UserRow>> {
    on_backend!(conn => {
    group_members::table
        .inner_join(users::table)
        .filter(group_members::group_id.eq(group_id))
        .order((group_members::joined_at.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .load(conn)
    })
}
