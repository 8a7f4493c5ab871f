#!/bin/bash
set -euo pipefail
docker rm -f web >/dev/null 2>&1 || true
docker run -d --name web -p 8080:80 busybox \
  sh -c 'mkdir -p /www && echo "hello from a container" > /www/index.html && exec httpd -f -p 80 -h /www'
for _ in $(seq 20); do curl -fs localhost:8080 >/dev/null && break; sleep 0.5; done
