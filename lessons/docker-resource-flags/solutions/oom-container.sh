#!/bin/bash
set -uo pipefail
docker rm -f oomer >/dev/null 2>&1 || true
# Expected to be OOM-killed: docker run then exits with 137.
docker run --name oomer -m 32m --memory-swap 32m busybox dd if=/dev/zero of=/dev/null bs=64M count=1 || true
