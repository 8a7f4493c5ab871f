#!/bin/bash
set -euo pipefail
cd /root/registry
nohup docker-registry serve /root/registry/config.yml > /root/registry/registry.log 2>&1 &
for _ in $(seq 20); do curl -sf http://127.0.0.1:5000/v2/ >/dev/null && exit 0; sleep 0.5; done
exit 1
