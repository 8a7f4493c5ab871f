#!/bin/bash
set -euo pipefail
cd /root/ci-demo
docker build -t 127.0.0.1:5000/ci-demo/web:v1 .
docker push 127.0.0.1:5000/ci-demo/web:v1
docker rmi 127.0.0.1:5000/ci-demo/web:v1
docker-compose pull web
docker-compose up -d web
sleep 1
