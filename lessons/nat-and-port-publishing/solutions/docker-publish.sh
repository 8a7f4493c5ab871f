#!/bin/bash
set -euo pipefail
docker run -d --name pub -p 8088:80 busybox sh -c 'mkdir -p /www && echo "published by the engine" > /www/index.html && exec httpd -f -p 80 -h /www'
sleep 1
