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
    restart: always
    environment:
      TZ: Asia/Shanghai
    volumes:
      - ./site:/www:ro
    ports:
      - "8086:80"
    networks:
      - labnet

  probe:
    image: busybox
    container_name: probe
    command: ["sh", "-c", "while true; do wget -qO /tmp/last.html http://web/ || echo fetch failed; sleep 2; done"]
    depends_on:
      - web
    networks:
      - labnet

networks:
  labnet:
    name: labnet
YAML
docker-compose up -d
sleep 1
