#!/bin/bash
set -uo pipefail
docker rm -f short >/dev/null 2>&1 || true
# The container's exit code is the main process's exit code, so a non-zero status is expected here.
docker run --name short busybox sh -c 'echo bye; exit 3' || true
