#!/bin/bash
set -euo pipefail
cd /root/compose
cat > docker-compose.yml <<'YAML'
version: "3.8"

services:
  web:
    image: busybox
    container_name: web
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    volumes:
      - ./site:/www:ro
    ports:
      - "8086:80"
    networks:
      - labnet

networks:
  labnet:
    name: labnet
YAML
docker-compose up -d
# Like checking by hand: wait until web answers on the published port.
for _ in $(seq 40); do curl -sf http://127.0.0.1:8086/ >/dev/null && break; sleep 0.25; done
