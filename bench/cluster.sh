#!/usr/bin/env bash
# Cluster mode's figures (docs/PERFORMANCE.md, round 8): agentgate-load against release nodes on
# a scratch PostgreSQL database, with a private Redis between them and HAProxy in front, all on
# 127.0.0.1. Needs the release build (bench/run.sh makes it), PostgreSQL (scripts/ensure-postgres.sh
# finds or starts one), redis-server and haproxy (scripts/ensure-cluster-tools.sh).
#
#   bash bench/cluster.sh NODES OUT.json SCENARIO [agentgate-load options…]
#   bash bench/cluster.sh 1 out.json sends                     # one node on PostgreSQL, no bus
#   bash bench/cluster.sh 3 out.json fanout --sizes 2000 --kinds raw
#
# NODES is `1` (one node, no bus, no proxy), `1bus` (one node with the bus, no proxy: what the
# bus costs), `1proxy` (one node with the bus behind HAProxy) or a number above 1 (that many
# nodes with the bus behind HAProxy). Redis's traffic over the run is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=$1 out=$2 scenario=$3
shift 3
pg_base=$(bash scripts/ensure-postgres.sh)
bash scripts/ensure-cluster-tools.sh
db="agentgate_bench_$$"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg_base/postgres" -qtAc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
psql "$pg_base/postgres" -qtAc "CREATE DATABASE $db" >/dev/null

# What agentgate-load's own servers get (crates/load/src/target.rs: LOAD_ENV).
export AGENTGATE_RATE_LIMIT_PER_MIN=0 AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR=0 \
  AGENTGATE_CHAT_RATE_LIMIT_SECS=0 AGENTGATE_SIO_UNAUTHENTICATED_PER_ADDRESS=0 \
  AGENTGATE_SIO_SOCKETS_PER_AGENT=0 AGENTGATE_MAX_CONNECTIONS_PER_IP=0 AGENTGATE_LOG=warn
hard=$(ulimit -Hn); want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -Sn "$want" || true

count=${nodes%bus}
count=${count%proxy}
bus=""
if [ "$nodes" != "1" ]; then
  redis_port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --logfile "$work/redis.log" &
  pids+=($!)
  sleep 0.5
  bus="redis://127.0.0.1:$redis_port"
fi

servers=""
for i in $(seq 1 "$count"); do
  port=$(free_port)
  AGENTGATE_BUS="$bus" target/release/agentgate serve --listen "127.0.0.1:$port" \
    --database "$pg_base/$db" > "$work/node$i.log" 2>&1 &
  pids+=($!)
  servers="$servers    server n$i 127.0.0.1:$port\n"
  for _ in $(seq 1 100); do grep -q "listening on" "$work/node$i.log" && break; sleep 0.1; done
  node_pid=$!
  node_port=$port
done

if [ "$nodes" = "1" ] || [ "$nodes" = "1bus" ]; then
  url="http://127.0.0.1:$node_port"
else
  lb_port=$(free_port)
  # Two descriptors per proxied connection, within the limit the proxy inherits.
  maxconn=$(( $(ulimit -n) / 2 - 100 ))
  printf "global\n    maxconn $maxconn\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    timeout server 120s\n    timeout tunnel 1h\nfrontend agentgate\n    bind 127.0.0.1:$lb_port\n    default_backend nodes\nbackend nodes\n    balance roundrobin\n$servers" > "$work/haproxy.cfg"
  haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
  pids+=($!)
  sleep 0.5
  url="http://127.0.0.1:$lb_port"
fi

redis_stats() {
  [ -n "$bus" ] && redis-cli -p "$redis_port" info stats \
    | grep -E '^(total_net_input_bytes|total_net_output_bytes|total_commands_processed):' | tr -d '\r' || true
}
echo "bench/cluster.sh: $nodes node(s), target $url; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
before=$(redis_stats)
mkdir -p "$(dirname "$out")"
pid_args=()
if [ "$count" = "1" ]; then pid_args=(--server-pid "$node_pid"); fi
target/release/agentgate-load "$scenario" --url "$url" "${pid_args[@]}" --no-reference \
  --json "$out" "$@"
if [ -n "$bus" ]; then
  echo "redis before:"; echo "$before"
  echo "redis after:"; redis_stats
  ps -o pid,etime,time,comm -p "${pids[0]}"
fi
