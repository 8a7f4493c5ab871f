#!/bin/bash
set -euo pipefail
cd /root/compose
# The probe service goes under services:, before the top-level networks:.
if ! grep -q '^  probe:$' docker-compose.yml; then
  PROBE=$(cat <<'YAML'
  probe:
    image: busybox
    container_name: probe
    command: ["sh", "-c", "while true; do wget -qO /tmp/last.html http://web/ || echo fetch failed; sleep 2; done"]
    depends_on:
      - web
    networks:
      - labnet
YAML
)
  PROBE="$PROBE" awk '/^networks:$/ { print ENVIRON["PROBE"]; print "" } { print }' docker-compose.yml > docker-compose.yml.new
  mv docker-compose.yml.new docker-compose.yml
fi
docker-compose up -d
sleep 4
