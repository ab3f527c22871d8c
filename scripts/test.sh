#!/usr/bin/env bash
# Every check and test of the project: formatting, lints, the schema check, and the Rust unit
# and integration tests (which start the real server on port 0 with temporary SQLite files).
# Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
bash scripts/check-schema.sh
status=0
cargo test --locked --all-targets 2>&1 | tee "$log" || status=$?

passed=$(grep -E '^test result:' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
