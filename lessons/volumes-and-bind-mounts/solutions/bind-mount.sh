#!/bin/bash
set -euo pipefail
docker run -d --name site -p 8082:80 -v /root/site:/www:ro busybox httpd -f -p 80 -h /www
sleep 1
