#!/bin/bash
set -euo pipefail
docker volume create appdata
docker run -d --name writer -v appdata:/data busybox sh -c 'echo v1 > /data/version; exec sleep 3600'
