#!/bin/bash
set -euo pipefail
docker rm -f isolated >/dev/null 2>&1 || true
docker run -d --name isolated --network none busybox sleep 10704
