#!/bin/bash
set -euo pipefail
docker run -d --name web -p 8080:80 -v /root/site:/www busybox httpd -f -p 80 -h /www
sleep 1
