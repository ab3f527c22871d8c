//! The full-text index of sites and their owners: FTS5 on SQLite, a `tsvector` under a GIN
//! index on PostgreSQL, both kept by triggers (migration `site_discovery`). Diesel's query
//! builder knows neither, so this is the one place with raw SQL for it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::store::{AnyConnection, Conn};

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    slug: String,
}

/// The slugs of listed sites matching every term as a word prefix, the best match first
/// (then the most read). Terms must be letters and digits only: they are spliced into the
/// backend's query syntax, though passed as a bound value.
pub fn matching(conn: &mut Conn, terms: &[String], limit: i64) -> QueryResult<Vec<String>> {
    let hits: Vec<Hit> = match conn {
        AnyConnection::Sqlite(c) => {
            let query = terms
                .iter()
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            // bm25 weights: slug (unindexed), title, content, agent name, agent soul.
            diesel::sql_query(
                "SELECT s.slug AS slug FROM site_search \
                 JOIN sites s ON s.slug = site_search.slug \
                 WHERE site_search MATCH ? AND s.visibility = 'public' \
                 ORDER BY bm25(site_search, 0.0, 10.0, 1.0, 10.0, 4.0), s.view_count DESC, s.slug \
                 LIMIT ?",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(limit)
            .load(c)?
        }
        AnyConnection::Postgres(c) => {
            let query = terms
                .iter()
                .map(|t| format!("{t}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            diesel::sql_query(
                "SELECT s.slug AS slug FROM site_search f \
                 JOIN sites s ON s.slug = f.slug, to_tsquery('simple', $1) q \
                 WHERE f.document @@ q AND s.visibility = 'public' \
                 ORDER BY ts_rank(f.document, q) DESC, s.view_count DESC, s.slug \
                 LIMIT $2",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(limit)
            .load(c)?
        }
    };
    Ok(hits.into_iter().map(|h| h.slug).collect())
}
