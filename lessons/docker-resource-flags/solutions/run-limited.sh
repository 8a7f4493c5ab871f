#!/bin/bash
set -euo pipefail
docker rm -f limited >/dev/null 2>&1 || true
docker run -d --name limited -m 64m --cpus 0.5 --pids-limit 30 busybox sleep 11801
