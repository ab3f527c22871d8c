#!/usr/bin/env bash
# Third-party client conformance tests against agentgate: socket.io-client (Node) and
# python-socketio on MoChat's REST + Socket.IO, then the MoltCities WebSocket channels with the
# documented MoltCitiesWebSocket client on `ws` (Node) and the `websockets` package (Python), a
# MoltCities command-line flow through curl,
# the bridge suite, schemathesis against the server's own OpenAPI document, and the web client
# in a real Chromium (playwright-core) with socket.io-client agents.
# Installs its own dependencies (npm ci, a Python venv), uses target/debug/agentgate (or
# $AGENTGATE_BIN; builds the former with cargo when it is missing), runs the suites, and
# exits non-zero if any fails. Ends with one line: "conformance: N passed, M failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DEFAULT_BIN="$ROOT/target/debug/agentgate"
export AGENTGATE_BIN="${AGENTGATE_BIN:-$DEFAULT_BIN}"

# --- the server under test --------------------------------------------------------------
if [ ! -x "$AGENTGATE_BIN" ]; then
  if [ "$AGENTGATE_BIN" = "$DEFAULT_BIN" ]; then
    echo "conformance: $AGENTGATE_BIN missing, running cargo build"
    (cd "$ROOT" && PATH="$HOME/.cargo/bin:$PATH" cargo build) || exit 1
  else
    echo "conformance: AGENTGATE_BIN=$AGENTGATE_BIN is not an executable file" >&2
    exit 1
  fi
fi
echo "conformance: server under test $AGENTGATE_BIN"

# --- tools ------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "conformance: installing nodejs and npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null || exit 1
  else
    echo "conformance: node and npm are required" >&2
    exit 1
  fi
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "conformance: Node >= 20 is required (found $(node --version))" >&2
  exit 1
fi
# The MoltCities suites make their RSA keys with the openssl command line.
if ! command -v openssl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "conformance: installing openssl"
    apt-get update -qq && apt-get install -y -qq openssl >/dev/null || exit 1
  else
    echo "conformance: openssl is required" >&2
    exit 1
  fi
fi
# The MoltCities command-line suite sends its requests with the curl command line.
if ! command -v curl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "conformance: installing curl"
    apt-get update -qq && apt-get install -y -qq curl >/dev/null || exit 1
  else
    echo "conformance: curl is required" >&2
    exit 1
  fi
fi
# The web client's tests drive Debian's Chromium (playwright-core downloads no browser).
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$CHROMIUM" = /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    echo "conformance: installing chromium"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null || exit 1
  else
    echo "conformance: Chromium is required at $CHROMIUM (set CHROMIUM)" >&2
    exit 1
  fi
fi
PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "conformance: python3 is required" >&2
  exit 1
fi

# --- dependencies -----------------------------------------------------------------------
for dir in node moltcities/node web; do
  echo "conformance: npm ci ($dir/)"
  (cd "$HERE/$dir" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
done

VENV="$HERE/python/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "conformance: creating $VENV"
  "$PYTHON" -m venv "$VENV" || exit 1
fi
echo "conformance: pip install -r python/requirements.txt -r moltcities/python/requirements.txt -r bridge/requirements.txt -r openapi/requirements.txt"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q \
  -r "$HERE/python/requirements.txt" -r "$HERE/moltcities/python/requirements.txt" -r "$HERE/bridge/requirements.txt" \
  -r "$HERE/openapi/requirements.txt" || exit 1

# --- run --------------------------------------------------------------------------------
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

echo
echo "=== node --test (socket.io-client $(node -p 'require("'"$HERE"'/node/node_modules/socket.io-client/package.json").version'), node $(node --version)) ==="
(cd "$HERE/node" && timeout 900 node --test --test-concurrency=1 --test-reporter=spec test/) 2>&1 | tee "$log"
node_status=${PIPESTATUS[0]}
node_pass=$(grep -E '^(ℹ|#) pass [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
node_fail=$(grep -E '^(ℹ|#) fail [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
node_cancel=$(grep -E '^(ℹ|#) cancelled [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
[ "$node_status" -ne 0 ] && status=1

echo
echo "=== pytest (python-socketio $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("python-socketio"))')) ==="
(cd "$HERE/python" && timeout 900 "$VENV/bin/python" -m pytest -v --tb=short -p no:cacheprovider) 2>&1 | tee "$log"
py_status=${PIPESTATUS[0]}
py_summary=$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1)
py_pass=$(echo "$py_summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
py_fail=$(echo "$py_summary" | grep -Eo '[0-9]+ (failed|error|errors)' | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
[ "$py_status" -ne 0 ] && status=1

echo
echo "=== MoltCities: node --test (ws $(node -p 'require("'"$HERE"'/moltcities/node/node_modules/ws/package.json").version'), node $(node --version)) ==="
(cd "$HERE/moltcities/node" && timeout 900 node --test --test-concurrency=1 --test-reporter=spec test/) 2>&1 | tee "$log"
mc_node_status=${PIPESTATUS[0]}
mc_node_pass=$(grep -E '^(ℹ|#) pass [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
mc_node_fail=$(grep -E '^(ℹ|#) fail [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
mc_node_cancel=$(grep -E '^(ℹ|#) cancelled [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
[ "$mc_node_status" -ne 0 ] && status=1

echo
echo "=== MoltCities: pytest (websockets $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("websockets"))')) ==="
(cd "$HERE/moltcities/python" && timeout 900 "$VENV/bin/python" -m pytest -v --tb=short -p no:cacheprovider) 2>&1 | tee "$log"
mc_py_status=${PIPESTATUS[0]}
mc_py_summary=$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1)
mc_py_pass=$(echo "$mc_py_summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
mc_py_fail=$(echo "$mc_py_summary" | grep -Eo '[0-9]+ (failed|error|errors)' | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
[ "$mc_py_status" -ne 0 ] && status=1

echo
echo "=== MoltCities command line: pytest (curl $(curl --version | head -1 | cut -d' ' -f2)) ==="
(cd "$HERE/moltcities/cli" && timeout 600 "$VENV/bin/python" -m pytest -v --tb=short -p no:cacheprovider) 2>&1 | tee "$log"
cli_status=${PIPESTATUS[0]}
cli_summary=$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1)
cli_pass=$(echo "$cli_summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
cli_fail=$(echo "$cli_summary" | grep -Eo '[0-9]+ (failed|error|errors)' | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
[ "$cli_status" -ne 0 ] && status=1

echo
echo "=== Bridge (both wires at once): pytest (python-socketio + websockets) ==="
(cd "$HERE/bridge" && timeout 900 "$VENV/bin/python" -m pytest -v --tb=short -p no:cacheprovider) 2>&1 | tee "$log"
br_status=${PIPESTATUS[0]}
br_summary=$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1)
br_pass=$(echo "$br_summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
br_fail=$(echo "$br_summary" | grep -Eo '[0-9]+ (failed|error|errors)' | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
[ "$br_status" -ne 0 ] && status=1

echo
echo "=== OpenAPI: schemathesis $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))') on /api/openapi.json (${SCHEMATHESIS_MAX_EXAMPLES:-10} examples per operation) ==="
(cd "$HERE/openapi" && timeout 600 "$VENV/bin/python" fuzz.py --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" --seed "${SCHEMATHESIS_SEED:-1}") 2>&1 | tee "$log"
st_status=${PIPESTATUS[0]}
# One count per operation: tested with no failure, or with one.
st_pass=$(grep -E '^schemathesis: [0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
st_fail=$(grep -E '^schemathesis: [0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')
[ "$st_status" -ne 0 ] && status=1

echo
echo "=== Web client: node --test (playwright-core $(node -p 'require("'"$HERE"'/web/node_modules/playwright-core/package.json").version'), $("$CHROMIUM" --version 2>/dev/null | head -1)) ==="
(cd "$HERE/web" && timeout 900 node --test --test-concurrency=1 --test-reporter=spec test/) 2>&1 | tee "$log"
web_status=${PIPESTATUS[0]}
web_pass=$(grep -E '^(ℹ|#) pass [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
web_fail=$(grep -E '^(ℹ|#) fail [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
web_cancel=$(grep -E '^(ℹ|#) cancelled [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')
[ "$web_status" -ne 0 ] && status=1

passed=$(( ${node_pass:-0} + ${py_pass:-0} + ${mc_node_pass:-0} + ${mc_py_pass:-0} + ${cli_pass:-0} + ${br_pass:-0} + ${st_pass:-0} + ${web_pass:-0} ))
failed=$(( ${node_fail:-0} + ${node_cancel:-0} + ${py_fail:-0} + ${mc_node_fail:-0} + ${mc_node_cancel:-0} + ${mc_py_fail:-0} + ${cli_fail:-0} + ${br_fail:-0} + ${st_fail:-0} + ${web_fail:-0} + ${web_cancel:-0} ))
# A runner that died without its summary still counts as a failure.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
echo "conformance: ${passed} passed, ${failed} failed"
exit "$status"
