#!/bin/bash
# Copies the demo repository to /root/ci-demo and starts a local registry on port 5000,
# which stands in for Docker Hub in the last step.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -rf /root/ci-demo && cp -r "$here/ci-demo" /root/ci-demo
mkdir -p /root/registry /var/lib/registry-lab
cat > /root/registry/config.yml <<'YAML'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry-lab
http:
  addr: :5000
YAML
if ! curl -sf http://127.0.0.1:5000/v2/ >/dev/null 2>&1; then
  setsid -f docker-registry serve /root/registry/config.yml > /root/registry/registry.log 2>&1 < /dev/null
  for _ in $(seq 20); do curl -sf http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && break; sleep 0.5; done
fi
