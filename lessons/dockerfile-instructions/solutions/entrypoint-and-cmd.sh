#!/bin/bash
set -euo pipefail
cd /root/dfi
cat > Dockerfile.v2 <<'DOCKERFILE'
FROM busybox
COPY index.html /www/
ADD assets.tar.gz /www/assets/
ENTRYPOINT ["httpd", "-f", "-h", "/www"]
CMD ["-p", "80"]
DOCKERFILE
docker build -t dfi:v2 -f Dockerfile.v2 .
docker run -d --name dfi2 -p 8083:8080 dfi:v2 -p 8080
sleep 1
