#!/bin/bash
set -euo pipefail
cd /root/dfi
cat > Dockerfile <<'DOCKERFILE'
FROM busybox
COPY index.html /www/
ADD assets.tar.gz /www/assets/
COPY assets.tar.gz /www/raw/
DOCKERFILE
docker build -t dfi:v1 .
docker run -d --name dfi1 dfi:v1 sleep 3600
