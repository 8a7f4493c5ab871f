#!/bin/bash
set -euo pipefail
if [ "$(docker inspect -f '{{.State.Running}}' target 2>/dev/null)" != true ]; then
  docker rm -f target >/dev/null 2>&1 || true
  docker run -d --name target --hostname target busybox sleep 11101
fi
pgrep -xf 'sleep 11103' >/dev/null && exit 0
PID=$(docker inspect -f '{{.State.Pid}}' target)
setsid -f nsenter -t "$PID" -m -u -i -n -p -C sleep 11103 </dev/null >/dev/null 2>&1
sleep 0.5
