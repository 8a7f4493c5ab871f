#!/bin/bash
set -euo pipefail
mkdir -p /mnt/private
pgrep -xf 'sleep 10501' >/dev/null && exit 0
setsid -f unshare -m sh -c 'mount -t tmpfs -o size=16m tmpfs /mnt/private && echo "only in here" > /mnt/private/note && exec sleep 10501' </dev/null >/dev/null 2>&1
sleep 0.5
