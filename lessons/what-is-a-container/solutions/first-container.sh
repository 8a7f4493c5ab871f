#!/bin/bash
set -euo pipefail
docker rm -f first >/dev/null 2>&1 || true
docker run -d --name first busybox sleep 10101
