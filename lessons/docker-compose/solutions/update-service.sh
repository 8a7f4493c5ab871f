#!/bin/bash
set -euo pipefail
cd /root/compose
# A restart policy and a time zone for web, after its command.
grep -q '^    restart: always$' docker-compose.yml ||
  sed -i '/^    command: \["httpd", /a\    restart: always\n    environment:\n      TZ: Asia/Shanghai' docker-compose.yml
docker-compose up -d
sleep 1
