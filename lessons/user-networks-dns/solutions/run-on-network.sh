#!/bin/bash
set -euo pipefail
docker run -d --name app1 --network mybr0 busybox sh -c 'echo "hello from app1" > /tmp/index.html && exec httpd -f -p 80 -h /tmp'
docker run -d --name app2 --network mybr0 busybox sleep 3600
