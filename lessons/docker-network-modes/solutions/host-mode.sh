#!/bin/bash
set -euo pipefail
docker run -d --name t3 --network host busybox sh -c 'echo host-mode > /tmp/index.html && exec httpd -f -p 8090 -h /tmp'
sleep 1
