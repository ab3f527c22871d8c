#!/usr/bin/env bash
# Reproduces docs/PERFORMANCE.md: builds agentgate and the load generator in release mode,
# installs the Node reference peer, and runs every scenario at full size against a fresh
# agentgate on a temporary database (127.0.0.1 only). Tables go to standard output; the JSON
# goes to bench/results/<UTC time>.json (or the file given as the first argument).
#
#   bash bench/run.sh                 # every scenario, about 8 minutes on 2 cores
#   bash bench/run.sh out.json fanout --sizes 2000 --rate 50    # one scenario, extra options
#
# Run it on an otherwise idle machine: the generator and the server share the cores, and the
# load average before each scenario is printed with its table.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

out=${1:-bench/results/$(date -u +%Y%m%dT%H%M%SZ).json}
shift || true
scenario=${1:-all}
shift || true

cargo build --release --locked -p agentgate -p agentgate-load
if command -v node >/dev/null && command -v npm >/dev/null; then
  (cd bench/node-reference && npm ci --no-audit --no-fund --silent)
  reference=()
else
  echo "bench/run.sh: node/npm not found: the Node reference is not measured" >&2
  reference=(--no-reference)
fi

# 10,000 idle sockets need 10,000 descriptors in the generator and as many in the server
# (which inherits this limit). Raise the soft limit up to the hard one, at most 65536.
hard=$(ulimit -Hn)
want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -Sn "$want" || true
echo "bench/run.sh: ulimit -n $(ulimit -n); load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

mkdir -p "$(dirname "$out")"
target/release/agentgate-load "$scenario" --server target/release/agentgate \
  --json "$out" "${reference[@]}" "$@"
echo "bench/run.sh: results in $out" >&2
