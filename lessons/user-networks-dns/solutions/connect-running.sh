#!/bin/bash
set -euo pipefail
docker run -d --name loner busybox sleep 3600
docker network connect mybr0 loner
