#!/bin/bash
set -euo pipefail
cd /root/dfi
cat > Dockerfile.v3 <<'DOCKERFILE'
FROM busybox
ARG VERSION=1.0
ENV APP_VERSION=$VERSION
LABEL version=$VERSION
WORKDIR /www
COPY index.html .
RUN echo "version $APP_VERSION" > version.txt
EXPOSE 80
HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1/ || exit 1
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DOCKERFILE
docker build -t dfi:v3 -f Dockerfile.v3 --build-arg VERSION=2.0 .
