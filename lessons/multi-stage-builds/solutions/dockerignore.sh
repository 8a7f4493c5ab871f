#!/bin/bash
set -euo pipefail
cd /root/ms
printf 'node_modules\n.env\n*.log\n.git\n' > .dockerignore
docker build -t site:fat2 -f Dockerfile.single .
docker run -d --name fatcheck site:fat2 sleep 3600
