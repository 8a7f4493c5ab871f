#!/bin/bash
set -euo pipefail
docker run -d --name t2 --add-host centos.example.com:10.250.1.11 busybox sh -c 'echo bridge-mode > /tmp/index.html && exec httpd -f -p 80 -h /tmp'
