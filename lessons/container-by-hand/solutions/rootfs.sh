#!/bin/bash
set -euo pipefail
if [ ! -e /root/ctr/rootfs/bin/busybox ]; then
  mkdir -p /root/ctr/rootfs
  docker rm -f ctr-src >/dev/null 2>&1 || true
  docker create --name ctr-src busybox >/dev/null
  docker export ctr-src | tar -C /root/ctr/rootfs -xf -
  docker rm ctr-src >/dev/null
fi
