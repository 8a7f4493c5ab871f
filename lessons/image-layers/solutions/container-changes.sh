#!/bin/bash
set -euo pipefail
docker run --name layers busybox sh -c 'mkdir -p /data/html && echo "hello from a layer" > /data/html/index.html && rm /bin/vi'
