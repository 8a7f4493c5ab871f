#!/bin/bash
set -euo pipefail
docker rm -f t2 >/dev/null 2>&1 || true
docker run -d --name t2 busybox sh -c 'echo bridge-mode > /tmp/index.html && exec httpd -f -p 80 -h /tmp'
sleep 0.5
