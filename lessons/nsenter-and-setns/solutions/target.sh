#!/bin/bash
set -euo pipefail
docker rm -f target >/dev/null 2>&1 || true
docker run -d --name target --hostname target busybox sleep 11101
