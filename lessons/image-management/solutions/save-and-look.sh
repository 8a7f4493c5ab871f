#!/bin/bash
set -euo pipefail
mkdir -p /root/images/unpacked
docker save -o /root/images/tools.tar mytools/busybox:1.0
tar -xf /root/images/tools.tar -C /root/images/unpacked
