#!/bin/bash
set -euo pipefail
cd /root/layers
docker build -t layered:v1 .
echo "colour=green" > conf.txt
docker build -t layered:v2 .
