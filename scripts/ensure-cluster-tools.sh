#!/usr/bin/env bash
# The cluster tests start their own Redis and HAProxy (tests/common/cluster.rs): install
# Debian's redis-server and haproxy when either command is missing. Progress goes to standard
# error.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-cluster-tools: installing Debian's ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
