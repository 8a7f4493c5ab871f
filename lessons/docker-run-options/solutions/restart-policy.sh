#!/bin/bash
set -euo pipefail
docker run -d --name flaky --restart on-failure busybox sh -c 'date; sleep 2; exit 3'
