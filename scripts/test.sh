#!/usr/bin/env bash
# Every check and test of the project: formatting, lints, the schema check, and the Rust unit
# and integration tests (which start the real server on port 0 with temporary SQLite files).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
bash scripts/check-schema.sh
cargo test --locked
