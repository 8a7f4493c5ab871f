#!/bin/bash
set -euo pipefail
docker tag busybox 127.0.0.1:5000/lab/busybox:1.0
docker push 127.0.0.1:5000/lab/busybox:1.0
