#!/bin/bash
set -euo pipefail
docker rm -f named >/dev/null 2>&1 || true
docker run -d --name named --hostname web01 busybox sleep 10602
