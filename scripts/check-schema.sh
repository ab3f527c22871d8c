#!/usr/bin/env bash
# Fails when crates/domain/src/store/schema.rs differs from what `diesel print-schema` generates from the
# migrations on a fresh database. Installs diesel_cli (SQLite bundled) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v diesel >/dev/null 2>&1; then
  echo "installing diesel_cli (sqlite, bundled) for the schema check"
  cargo install diesel_cli --version "~2.3" --no-default-features --features sqlite-bundled --locked --quiet
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
diesel migration run --database-url "$tmp/schema.db" >/dev/null
diesel print-schema --database-url "$tmp/schema.db" > "$tmp/schema.rs"
if ! diff -u crates/domain/src/store/schema.rs "$tmp/schema.rs"; then
  echo "crates/domain/src/store/schema.rs does not match the migrations: regenerate it with diesel print-schema" >&2
  exit 1
fi
echo "schema.rs matches the migrations"
