#!/bin/bash
set -euo pipefail
nsenter --net=/run/netns/c1 busybox httpd -p 80 -h /root/www
sleep 0.5
curl -s http://172.30.0.11/
