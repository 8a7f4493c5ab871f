#!/bin/bash
set -euo pipefail
if [ "$(docker inspect -f '{{.State.Running}}' t2 2>/dev/null)" != true ]; then
  docker rm -f t2 >/dev/null 2>&1 || true
  docker run -d --name t2 busybox sh -c 'echo bridge-mode > /tmp/index.html && exec httpd -f -p 80 -h /tmp'
fi
docker run -d --name t4 --network container:t2 busybox sleep 3600
sleep 1
