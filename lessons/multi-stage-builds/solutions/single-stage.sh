#!/bin/bash
set -euo pipefail
cd /root/ms
docker build -t site:fat -f Dockerfile.single .
