#!/bin/bash
set -euo pipefail
cd /root/ms
docker build --target builder -t site:builder .
