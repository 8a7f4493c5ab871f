#!/bin/bash
set -euo pipefail
docker run -d --name lowpriv -u 1000:1000 busybox sleep 3601
