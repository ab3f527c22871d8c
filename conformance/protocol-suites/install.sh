#!/usr/bin/env bash
# Places the official protocol suites where run.sh looks for them, from checkouts of the public
# repositories: install.sh ENGINE_IO_PROTOCOL_CHECKOUT SOCKET_IO_PROTOCOL_CHECKOUT
# Nothing is written inside this repository; run.sh checks the pinned digests before each run.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 ENGINE_IO_PROTOCOL_CHECKOUT SOCKET_IO_PROTOCOL_CHECKOUT" >&2
  exit 2
fi
SUITES="${AGENTGATE_PROTOCOL_SUITES:-$HOME/.cache/agentgate/protocol-suites}"
for pair in "eio:$1" "sio:$2"; do
  name=${pair%%:*}
  src=${pair#*:}/test-suite
  [ -f "$src/test-suite.js" ] || { echo "no test-suite/test-suite.js in ${pair#*:}" >&2; exit 1; }
  rm -rf "${SUITES:?}/$name"
  mkdir -p "$SUITES/$name/test-suite"
  cp "$src/test-suite.js" "$src/node-imports.js" "$src/package.json" "$src/package-lock.json" \
    "$SUITES/$name/test-suite/"
done
echo "installed into $SUITES; conformance/protocol-suites/run.sh checks the pinned revision"
