#!/bin/bash
set -euo pipefail
docker run -d --name web1 -p 8081:80 myweb:v1 httpd -f -p 80 -h /data/html
sleep 1
