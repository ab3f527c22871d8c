#!/usr/bin/env bash
# The official Engine.IO and Socket.IO protocol test suites (the `test-suite/` folders of the
# public repositories socketio/engine.io-protocol at f21de7b0 and socketio/socket.io-protocol at
# 4f633dd6) against examples/socketio_echo.rs.
#
# The suites are published on no package registry, and this repository never holds a copy of
# them. They run from a pinned copy kept outside the repository, in $AGENTGATE_PROTOCOL_SUITES
# (default: ~/.cache/agentgate/protocol-suites), laid out as eio/test-suite/ and sio/test-suite/;
# `install.sh` beside this file places one there from checkouts of the two repositories. Each
# copy is checked against the digests below before it runs, so a different revision cannot pass
# for the pinned one.
#
# Without a copy the run says so loudly and runs nothing (the in-house equivalents,
# tests/sio_engine.rs and tests/sio_protocol.rs, still run in the test command). With one, a
# suite that fails twice in a row fails the run. Ends with "conformance: N passed, M failed"
# when the suites ran.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SUITES="${AGENTGATE_PROTOCOL_SUITES:-$HOME/.cache/agentgate/protocol-suites}"
# The suites hard-code this address.
PORT=3000

# sha256 of the pinned files: test-suite.js and package-lock.json of each suite.
declare -A PINNED=(
  [eio/test-suite/test-suite.js]=1d13901dd6ee1ba9b70a5c5c8a19ff5da397eb0aa40ec892e813b9ff7ad6edf8
  [eio/test-suite/package-lock.json]=a5c204d5d92e8f81a05cefdcaeb0fcbd240282dda4a27baaf7e3b927f801065a
  [sio/test-suite/test-suite.js]=9fc4abce7be55bcd8741a2c62d242f3eb85560d2b669c15f2fdd8abea9a0c30d
  [sio/test-suite/package-lock.json]=b4ae2b3c16dfd8fcf8c31ae8fba3f8309403b0448660f24e276bdebff96e8b62
)

if [ ! -f "$SUITES/eio/test-suite/test-suite.js" ] || [ ! -f "$SUITES/sio/test-suite/test-suite.js" ]; then
  echo "=================================================================================="
  echo "protocol suites: NOT RUN: no copy of the official suites in $SUITES"
  echo "protocol suites: they are on no registry; place one with conformance/protocol-suites/install.sh"
  echo "=================================================================================="
  exit 0
fi
for file in "${!PINNED[@]}"; do
  got=$(sha256sum "$SUITES/$file" | cut -d' ' -f1)
  if [ "$got" != "${PINNED[$file]}" ]; then
    echo "protocol suites: $SUITES/$file is not the pinned revision (sha256 $got)" >&2
    exit 1
  fi
done

BIN="$ROOT/target/debug/examples/socketio_echo"
if [ ! -x "$BIN" ]; then
  (cd "$ROOT" && cargo build --locked --example socketio_echo) || exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "protocol suites: port $PORT is taken; the suites can only talk to localhost:$PORT" >&2
  exit 1
fi

echo "protocol suites: npm ci (eio, sio; the Socket.IO suite with ws@8.16.0, see docs/socketio.md)"
(cd "$SUITES/eio/test-suite" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
(cd "$SUITES/sio/test-suite" && npm ci --no-audit --no-fund --loglevel=error &&
  npm install --no-save --no-audit --no-fund --loglevel=error ws@8.16.0) || exit 1

PORT=$PORT "$BIN" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

log=$(mktemp)
status=0
passed=0
failed=0
# The suites time pings in hundreds of milliseconds (pingInterval 300, pingTimeout 200), so a
# busy machine can fail one of their tests; a suite that fails is run once more and that run
# decides, with the first run's failures left in the log.
run_suite() {
  (cd "$SUITES/$1/test-suite" && timeout 300 npx mocha --reporter spec test-suite.js) 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}
for suite in eio sio; do
  echo
  echo "=== official $suite suite (mocha) ==="
  if ! run_suite "$suite"; then
    echo "protocol suites: the $suite suite failed (above); running it once more"
    run_suite "$suite" || status=1
  fi
  p=$(grep -Eo '^ *[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ *[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
echo "conformance: ${passed} passed, ${failed} failed"
exit "$status"
