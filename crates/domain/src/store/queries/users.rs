//! The `users` table.

use diesel::prelude::*;

use crate::store::models::UserRow;
use crate::store::schema::users;
use crate::store::Conn;

/// The SQL around a bound value that compares `column` with it ignoring case, in the form each
/// backend's unique index on the column serves: SQLite's NOCASE collation, PostgreSQL's
/// `lower()`.
fn nocase_equals(conn: &Conn, column: &str) -> (String, &'static str) {
    if conn.is_postgres() {
        (format!("lower({column}) = lower("), ")")
    } else {
        (format!("{column} = "), " COLLATE NOCASE")
    }
}

/// Inserts a user.
pub fn insert(conn: &mut Conn, row: &UserRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One user by id.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<UserRow>> {
    on_backend!(conn => {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Users by ids, in no particular order; unknown ids are left out. Read in chunks, since
/// SQLite takes at most 32,766 bound values per statement (the reputation leaderboard may
/// ask for every agent with a job).
pub fn by_ids<S: AsRef<str>>(conn: &mut Conn, ids: &[S]) -> QueryResult<Vec<UserRow>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(10_000) {
        let chunk: Vec<&str> = chunk.iter().map(AsRef::as_ref).collect();
        found.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select(UserRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// One user by username, case-insensitively.
pub fn by_username(conn: &mut Conn, name: &str) -> QueryResult<Option<UserRow>> {
    let (before, after) = nocase_equals(conn, "username");
    on_backend!(conn => users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(&before)
                .bind::<diesel::sql_types::Text, _>(name)
                .sql(after),
        )
        .select(UserRow::as_select())
        .first(conn)
        .optional())
}

/// Users whose username matches one of `names`, case-insensitively.
pub fn by_usernames(conn: &mut Conn, names: &[String]) -> QueryResult<Vec<UserRow>> {
    on_backend!(conn => {
    let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    users::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Text>("lower(username)").eq_any(lowered))
        .select(UserRow::as_select())
        .load(conn)
    })
}

/// One user by email, case-insensitively.
pub fn by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<UserRow>> {
    let (before, after) = nocase_equals(conn, "email");
    on_backend!(conn => users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(&before)
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(after),
        )
        .select(UserRow::as_select())
        .first(conn)
        .optional())
}

/// Sets who owns an agent.
pub fn set_owner(conn: &mut Conn, id: &str, owner: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(users::table.find(id))
        .set((users::owner_user_id.eq(owner), users::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
    })
}

/// The MoltCities profile columns of a user.
pub fn profile(conn: &mut Conn, id: &str) -> QueryResult<Option<crate::store::models::ProfileRow>> {
    on_backend!(conn => {
    users::table
        .find(id)
        .select(crate::store::models::ProfileRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Sets the MoltCities profile columns of a user.
pub fn set_profile(
    conn: &mut Conn,
    id: &str,
    p: &crate::store::models::ProfileRow,
) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(users::table.find(id))
        .set(p)
        .execute(conn)
        .map(|_| ())
    })
}

/// The user whose public key has this fingerprint.
pub fn by_fingerprint(conn: &mut Conn, fingerprint: &str) -> QueryResult<Option<UserRow>> {
    on_backend!(conn => {
    users::table
        .filter(users::key_fingerprint.eq(fingerprint))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Changes display name and avatar.
pub fn set_names(
    conn: &mut Conn,
    id: &str,
    display_name: &str,
    avatar: Option<&str>,
    now: i64,
) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(display_name),
            users::avatar.eq(avatar),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
    })
}

/// Users whose display name matches one of `names`, ignoring case.
pub fn by_display_names(conn: &mut Conn, names: &[String]) -> QueryResult<Vec<UserRow>> {
    on_backend!(conn => {
    let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    users::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Text>("lower(display_name)").eq_any(lowered))
        .filter(users::kind.eq("agent"))
        .select(UserRow::as_select())
        .load(conn)
    })
}

/// Gives a user a username.
pub fn set_username(conn: &mut Conn, id: &str, name: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(users::table.find(id))
        .set((users::username.eq(name), users::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
    })
}

/// Clears who owns an agent.
pub fn clear_owner(conn: &mut Conn, id: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(users::table.find(id))
        .set((
            users::owner_user_id.eq(None::<String>),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
    })
}

/// The agents a user owns, oldest first.
pub fn agents_of(conn: &mut Conn, owner: &str) -> QueryResult<Vec<UserRow>> {
    on_backend!(conn => {
    users::table
        .filter(users::owner_user_id.eq(owner))
        .filter(users::kind.eq("agent"))
        .order((users::created_at.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .load(conn)
    })
}

/// Every agent, newest first, at most `limit`.
pub fn agents(conn: &mut Conn, limit: i64) -> QueryResult<Vec<UserRow>> {
    on_backend!(conn => {
    users::table
        .filter(users::kind.eq("agent"))
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
    })
}

/// Users whose username or display name starts with `prefix` (any case), at most `limit`.
pub fn by_prefix(conn: &mut Conn, prefix: &str, limit: i64) -> QueryResult<Vec<UserRow>> {
    // LIKE's wildcards in the prefix are taken literally.
    let escaped: String = prefix
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("{escaped}%");
    // SQLite's LIKE ignores case; PostgreSQL's ILIKE is the same test.
    let like = if conn.is_postgres() { "ILIKE" } else { "LIKE" };
    on_backend!(conn => {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("(username {like} "))
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(&format!(" ESCAPE '\\' OR display_name {like} "))
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        )
        .filter(users::username.is_not_null())
        .order(users::username.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
    })
}

/// Agents, the newest first, at most `limit`: those whose skills contain `skill_pattern` (a
/// lower-case `LIKE` pattern escaped with `\`) and that own a public site in `neighborhood`,
/// when given.
pub fn city_agents(
    conn: &mut Conn,
    neighborhood: Option<&str>,
    skill_pattern: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    use super::lower;
    use crate::store::schema::sites;
    on_backend!(conn => {
    let mut q = users::table
        .filter(users::kind.eq("agent"))
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(pattern) = skill_pattern {
        q = q.filter(lower(users::skills).like(pattern.to_string()).escape('\\'));
    }
    if let Some(hood) = neighborhood {
        q = q.filter(
            users::id.eq_any(
                sites::table
                    .filter(sites::neighborhood.eq(hood.to_string()))
                    .filter(sites::visibility.eq("public"))
                    .select(sites::owner_id),
            ),
        );
    }
    q.order((users::created_at.desc(), users::id.asc()))
        .limit(limit)
        .load(conn)
    })
}
