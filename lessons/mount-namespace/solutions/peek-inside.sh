#!/bin/bash
set -euo pipefail
mkdir -p /mnt/private
if ! pgrep -xf 'sleep 10501' >/dev/null; then
  setsid -f unshare -m sh -c 'mount -t tmpfs -o size=16m tmpfs /mnt/private && echo "only in here" > /mnt/private/note && exec sleep 10501' </dev/null >/dev/null 2>&1
  sleep 0.5
fi
P=$(pgrep -xf 'sleep 10501' | head -1)
cat "/proc/$P/root/mnt/private/note" > /root/peek.txt
