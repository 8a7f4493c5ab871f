#!/bin/bash
set -euo pipefail
docker rm -f writer
docker run -d --name reader -v appdata:/data busybox sleep 3600
