#!/bin/bash
set -euo pipefail
docker create --name life busybox sh -c 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done'
