#!/bin/bash
set -euo pipefail
docker run -d --name t4 --network container:t2 busybox sleep 3600
sleep 1
