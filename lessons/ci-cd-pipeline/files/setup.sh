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
# Compose talks to the Engine API socket; the docker command in the box needs no daemon, so start the
# engine's API server once.
sock=/var/run/docker.sock
if ! curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
  # Where `docker` is Docker's own client, its first use starts the box's engine on this socket.
  docker version >/dev/null 2>&1 || true
  curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 ||
    setsid -f dockyard daemon --host "unix://$sock" </dev/null >/var/log/dockyard-daemon.log 2>&1
  for _ in $(seq 40); do curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break; sleep 0.25; done
fi
