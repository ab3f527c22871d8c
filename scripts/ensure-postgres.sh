#!/usr/bin/env bash
# Prints the base URL of a PostgreSQL server the tests may create scratch databases on
# (trust authentication, user postgres). In order: AGENTGATE_TEST_POSTGRES; the server on
# 127.0.0.1:${AGENTGATE_POSTGRES_PORT:-5432}; otherwise a private server this script installs
# (Debian's postgresql package) and starts itself on 127.0.0.1:55432, its data under
# ~/.cache/agentgate/postgres (/var/tmp/agentgate-postgres as root: the server runs as the
# postgres user, who cannot enter root's home). Progress goes to standard error.
set -euo pipefail
if [ -n "${AGENTGATE_TEST_POSTGRES:-}" ]; then
  echo "$AGENTGATE_TEST_POSTGRES"
  exit 0
fi
answers() { psql "$1/postgres" -qtAc 'SELECT 1' >/dev/null 2>&1; }
local_url="postgres://postgres@127.0.0.1:${AGENTGATE_POSTGRES_PORT:-5432}"
if command -v psql >/dev/null 2>&1 && answers "$local_url"; then
  echo "$local_url"
  exit 0
fi

private_url="postgres://postgres@127.0.0.1:55432"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || ! command -v psql >/dev/null 2>&1; then
  echo "ensure-postgres: installing Debian's postgresql" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
if answers "$private_url"; then
  echo "$private_url"
  exit 0
fi
data="$HOME/.cache/agentgate/postgres"
# The server refuses to run as root: as root, run it as the postgres user.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  as_owner=(runuser -u postgres --)
  data=/var/tmp/agentgate-postgres
fi
if [ ! -f "$data/PG_VERSION" ]; then
  echo "ensure-postgres: creating a private server in $data" >&2
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$data"
  fi
  chmod 700 "$data"
  "${as_owner[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
fi
echo "ensure-postgres: starting the private server on 127.0.0.1:55432" >&2
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
  -o "-h 127.0.0.1 -p 55432 -k $data" start >&2
echo "$private_url"
