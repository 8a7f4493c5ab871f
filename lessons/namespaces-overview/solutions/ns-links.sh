#!/bin/bash
set -euo pipefail
docker rm -f nsdemo >/dev/null 2>&1 || true
docker run -d --name nsdemo busybox sleep 10301
