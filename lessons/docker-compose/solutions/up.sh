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
sleep 1
