#!/bin/bash
set -euo pipefail
docker run -d --name envdemo -e APP_MODE=dev -e GREETING=hello busybox sleep 3600
