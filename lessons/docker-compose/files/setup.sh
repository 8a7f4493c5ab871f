#!/bin/bash
# Copies the compose project skeleton to /root/compose.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -rf /root/compose && cp -r "$here/compose" /root/compose
# Compose talks to the Engine API socket; the docker command in the box needs no daemon, so start the
# engine's API server once.
sock=/var/run/docker.sock
if ! curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
  # Where `docker` is Docker's own client, its first use starts the box's engine on this socket.
  docker version >/dev/null 2>&1 || true
  curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 ||
    setsid -f dockyard daemon --host "unix://$sock" </dev/null >/var/log/dockyard-daemon.log 2>&1
  for _ in $(seq 40); do curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break; sleep 0.25; done
fi
