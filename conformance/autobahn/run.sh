#!/usr/bin/env bash
# Autobahn|Testsuite (wstest -m fuzzingclient) against agentgate's own WebSocket layer, served
# by examples/websocket_echo: cases 1.* to 11.* (12.* and 13.* are permessage-deflate, which
# agentgate does not negotiate; see docs/protocols.md). Sections 1-8, 10 and 11 run against the
# MoltCities limit of 64 KiB a message, section 9 (messages up to 16 MiB) against a second echo
# server allowing 16 MiB.
#
# wstest needs Python 2.7: found as $PYTHON2, in pyenv, or as python2.7/python2 on PATH, and
# never skipped: without one this fails. A virtualenv made of the pinned requirements lives in
# conformance/autobahn/.venv (not in git). Any case whose behaviour is not OK fails the run
# unless allowed.tsv lists it with its reason. Ends with "conformance: N passed, M failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
export PATH="$HOME/.cargo/bin:$PATH"

fail() {
  echo "autobahn: $*" >&2
  echo "conformance: 0 passed, 1 failed"
  exit 1
}

# --- Python 2.7 -------------------------------------------------------------------------
is_py27() {
  [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' \
    >/dev/null 2>&1
}
find_py27() {
  local c
  if [ -n "${PYTHON2:-}" ]; then
    is_py27 "$PYTHON2" && { echo "$PYTHON2"; return 0; }
    echo "autobahn: PYTHON2=$PYTHON2 is not a Python 2.7 interpreter" >&2
    return 1
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local root v
    root="$(pyenv root 2>/dev/null)"
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^2\.7(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
      c="$root/versions/$v/bin/python2.7"
      is_py27 "$c" && { echo "$c"; return 0; }
    done
  fi
  for c in python2.7 python2; do
    c="$(command -v "$c" 2>/dev/null)" || continue
    is_py27 "$c" && { echo "$c"; return 0; }
  done
  return 1
}
PY27="$(find_py27)" || fail "no Python 2.7 interpreter found (set PYTHON2, install one with pyenv, or put python2.7 on PATH); wstest runs only on Python 2.7"
PY3="${PYTHON:-python3}"
command -v "$PY3" >/dev/null 2>&1 || fail "python3 is required (it creates the 2.7 virtualenv and reads the report)"

# --- the virtualenv ---------------------------------------------------------------------
stamp="$VENV/py27/.requirements"
if ! cmp -s "$HERE/requirements.txt" "$stamp" || [ ! -x "$VENV/py27/bin/wstest" ]; then
  echo "autobahn: creating the Python 2.7 virtualenv with $PY27"
  rm -rf "$VENV"
  "$PY3" -m venv "$VENV/boot" || fail "could not create the bootstrap venv"
  "$VENV/boot/bin/pip" install -q -r "$HERE/requirements-bootstrap.txt" \
    || fail "could not install virtualenv"
  "$VENV/boot/bin/virtualenv" -q -p "$PY27" "$VENV/py27" || fail "virtualenv for $PY27 failed"
  "$VENV/py27/bin/pip" install -q --no-python-version-warning -r "$HERE/requirements.txt" \
    || fail "pip install of the pinned requirements failed"
  cp "$HERE/requirements.txt" "$stamp"
fi

# --- the echo servers -------------------------------------------------------------------
(cd "$ROOT" && cargo build --locked --quiet --example websocket_echo) \
  || fail "cargo build --example websocket_echo failed"
ECHO="$ROOT/target/debug/examples/websocket_echo"
work="$(mktemp -d)"
pids=()
cleanup() {
  local p i
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  # A server still draining a connection the suite left open gets 2 s, then SIGKILL.
  for i in $(seq 1 20); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts an echo server on a free port (it binds port 0 and prints its address). Started here,
# not in a command substitution, so that its pid reaches `pids` and the cleanup stops it.
start_echo() {
  "$ECHO" --max-message "$2" >"$work/$1.out" 2>"$work/$1.err" &
  pids+=("$!")
}
# The port an echo server printed.
port_of() {
  local name="$1" port="" i
  for i in $(seq 1 100); do
    port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/$name.out")"
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  return 1
}
start_echo small 65536
start_echo large 16777216
port_small="$(port_of small)" || fail "the 64 KiB echo server did not start"
port_large="$(port_of large)" || fail "the 16 MiB echo server did not start"
echo "autobahn: echo servers on 127.0.0.1:$port_small (64 KiB) and :$port_large (16 MiB)"

# --- the suite --------------------------------------------------------------------------
sed -e "s|@OUTDIR@|$work/reports|" -e "s|@PORT_SMALL@|$port_small|" \
  -e "s|@PORT_LARGE@|$port_large|" "$HERE/fuzzingclient.json" >"$work/spec.json"
start=$(date +%s)
(cd "$work" && "$VENV/py27/bin/wstest" -m fuzzingclient -s "$work/spec.json") \
  >"$work/wstest.log" 2>&1 || { tail -20 "$work/wstest.log" >&2; fail "wstest failed to run"; }
echo "autobahn: wstest took $(( $(date +%s) - start )) s"
"$PY3" "$HERE/check_report.py" "$work/reports/index.json" "$HERE/allowed.tsv"
