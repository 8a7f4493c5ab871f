#!/bin/bash
set -euo pipefail
docker run -d --name t1 --network none -h t1.example.com busybox sleep 3600
