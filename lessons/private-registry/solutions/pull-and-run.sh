#!/bin/bash
set -euo pipefail
docker rmi 127.0.0.1:5000/lab/busybox:1.0
docker pull 127.0.0.1:5000/lab/busybox:1.0
docker run -d --name from-registry 127.0.0.1:5000/lab/busybox:1.0 sleep 3600
