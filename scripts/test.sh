#!/usr/bin/env bash
# Every check and test of the project: formatting, lints, the schema check, the Rust unit and
# integration tests (the real server on port 0 with temporary SQLite files, then the
# integration tests again with a scratch PostgreSQL database per server), then the
# third-party client conformance tests (socket.io-client, python-socketio, websockets), the
# official Engine.IO and Socket.IO protocol suites, Autobahn|Testsuite on the WebSocket layer,
# and the load generator's scenarios at smoke size.
# Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

cargo fmt --check
cargo clippy --locked --workspace --all-targets -- -D warnings
bash scripts/check-schema.sh
status=0
cargo test --locked --workspace --all-targets 2>&1 | tee "$log" || status=$?
# The same integration suites again on PostgreSQL (cluster mode's store): each server gets a
# database of its own on the server scripts/ensure-postgres.sh finds or starts. This pass also
# runs the cluster suites (tests/cluster*.rs: nodes, a private Redis, HAProxy in front).
pg_base=$(bash scripts/ensure-postgres.sh)
bash scripts/ensure-cluster-tools.sh
psql "$pg_base/postgres" -qtAc "SELECT 'DROP DATABASE ' || datname || ' WITH (FORCE);' FROM pg_database WHERE datname LIKE 'agentgate_test_%'" \
  | psql "$pg_base/postgres" -q >/dev/null
AGENTGATE_TEST_POSTGRES="$pg_base" cargo test --locked --no-fail-fast --tests 2>&1 | tee -a "$log" || status=$?
# The conformance clients run against the binary the tests just built.
bash conformance/run.sh 2>&1 | tee -a "$log" || status=$?
# The official Engine.IO / Socket.IO suites, from a pinned copy outside the repository.
bash conformance/protocol-suites/run.sh 2>&1 | tee -a "$log" || status=$?
# Autobahn|Testsuite sections 1-11 against agentgate's own WebSocket layer (needs Python 2.7).
bash conformance/autobahn/run.sh 2>&1 | tee -a "$log" || status=$?
# Every load scenario at smoke size, so the benchmark harness keeps working (not a timed test).
# `cargo test` builds only test harnesses of the load crate, so its binary is built here.
cargo build --locked -p agentgate-load 2>&1 | tee -a "$log" || status=$?
./target/debug/agentgate-load all --smoke --no-reference --server target/debug/agentgate || status=$?
# The scale scenario ends its server with SIGTERM, so it is not part of `all`.
./target/debug/agentgate-load scale --smoke --no-reference --server target/debug/agentgate || status=$?

rust_passed=$(grep -E '^test result:' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
rust_failed=$(grep -E '^test result:' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
conf_passed=$(grep -E '^conformance: [0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
conf_failed=$(grep -E '^conformance: [0-9]+ passed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "tests: $((rust_passed + conf_passed)) passed, $((rust_failed + conf_failed)) failed"
exit "$status"
