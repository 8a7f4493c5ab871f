#!/bin/bash
set -euo pipefail
mkdir -p /root/rootfs
docker rm -f rootfs-src >/dev/null 2>&1 || true
docker create --name rootfs-src busybox >/dev/null
docker export rootfs-src | tar -C /root/rootfs -xf -
docker rm rootfs-src >/dev/null
