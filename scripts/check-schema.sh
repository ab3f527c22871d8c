#!/usr/bin/env bash
# Fails when crates/domain/src/store/schema.rs differs from what `diesel print-schema` generates
# from the migrations on a fresh database, for both backends: SQLite (migrations/, the embedded
# default) and PostgreSQL (migrations-postgres/, cluster mode; a scratch database on the server
# scripts/ensure-postgres.sh finds or starts). Installs its own diesel_cli (SQLite bundled,
# PostgreSQL through libpq) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DIESEL_ROOT="$HOME/.cache/agentgate/diesel-cli"
DIESEL="$DIESEL_ROOT/bin/diesel"
if [ ! -x "$DIESEL" ]; then
  echo "installing diesel_cli (sqlite bundled, postgres) for the schema check"
  cargo install diesel_cli --version "~2.3" --no-default-features --features sqlite-bundled,postgres \
    --locked --quiet --root "$DIESEL_ROOT"
fi
tmp=$(mktemp -d)
# The full-text index tables (FTS5 on SQLite, tsvector on PostgreSQL) differ by design and are
# read with raw SQL only, so they are left out of schema.rs, as diesel.toml does.
search_tables='^site_search'
pg_base=$(bash scripts/ensure-postgres.sh)
pg_db="agentgate_schema_$$"
cleanup() {
  psql "$pg_base/postgres" -qtAc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# Only the migrations folder: the project's diesel.toml would rewrite schema.rs after a run.
cat > "$tmp/diesel.toml" <<TOML
[migrations_directory]
dir = "$PWD/migrations-postgres"
TOML

"$DIESEL" migration run --database-url "$tmp/schema.db" >/dev/null
"$DIESEL" print-schema --except-tables "$search_tables" --database-url "$tmp/schema.db" > "$tmp/schema.rs"
if ! diff -u crates/domain/src/store/schema.rs "$tmp/schema.rs"; then
  echo "crates/domain/src/store/schema.rs does not match the SQLite migrations: regenerate it with diesel print-schema" >&2
  exit 1
fi
echo "schema.rs matches the SQLite migrations"

psql "$pg_base/postgres" -qtAc "CREATE DATABASE $pg_db" >/dev/null
"$DIESEL" --config-file "$tmp/diesel.toml" migration run --database-url "$pg_base/$pg_db" >/dev/null
# The same down and up again, as Lemmy tests its migrations.
"$DIESEL" --config-file "$tmp/diesel.toml" migration redo --all --database-url "$pg_base/$pg_db" >/dev/null
"$DIESEL" --config-file "$tmp/diesel.toml" print-schema --except-tables "$search_tables" --database-url "$pg_base/$pg_db" \
  | sed -e 's/\bInt8\b/BigInt/g' -e 's/\bInt4\b/Integer/g' \
    -e '/^        rowid -> BigInt,$/d' > "$tmp/schema_pg.rs"
if ! diff -u crates/domain/src/store/schema.rs "$tmp/schema_pg.rs"; then
  echo "migrations-postgres/ does not give the schema of migrations/ (Int8/Int4 read as BigInt/Integer; participants.rowid stands in for SQLite's implicit rowid)" >&2
  exit 1
fi
echo "schema.rs matches the PostgreSQL migrations"
psql "$pg_base/$pg_db" -qtA -v ON_ERROR_STOP=1 -f scripts/sql/postgres-triggers.sql >/dev/null
echo "the PostgreSQL triggers keep seq and queue depths as the SQLite ones do"
