#!/bin/bash
set -euo pipefail
cd /root/ms
cat > Dockerfile <<'DOCKERFILE'
FROM debian AS builder
WORKDIR /src
COPY . .
RUN sh build.sh /out

FROM busybox
COPY --from=builder /out /www
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DOCKERFILE
docker build -t site:slim .
docker run -d --name slim -p 8085:80 site:slim
sleep 1
