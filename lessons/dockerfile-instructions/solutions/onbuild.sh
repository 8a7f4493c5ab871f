#!/bin/bash
set -euo pipefail
mkdir -p /root/dfi/base
cat > /root/dfi/base/Dockerfile <<'DOCKERFILE'
FROM busybox
WORKDIR /www
ONBUILD COPY . /www/
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DOCKERFILE
docker build -t dfi-base:1 /root/dfi/base
echo "FROM dfi-base:1" > /root/dfi/child/Dockerfile
docker build -t dfi-child:1 /root/dfi/child
docker run -d --name child -p 8084:80 dfi-child:1
sleep 1
