#!/bin/bash
set -euo pipefail
docker stop -t 3 life
docker export -o /root/life.tar life
docker import /root/life.tar life:snapshot
