#!/bin/bash
set -euo pipefail
if [ "$(docker inspect -f '{{.State.Running}}' limited 2>/dev/null)" != true ]; then
  docker rm -f limited >/dev/null 2>&1 || true
  docker run -d --name limited -m 64m --cpus 0.5 --pids-limit 30 busybox sleep 11801
fi
docker update --memory 128m --memory-swap 256m --pids-limit 50 limited
