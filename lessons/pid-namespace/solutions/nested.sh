#!/bin/bash
set -euo pipefail
if ! pgrep -xf 'sleep 10403' >/dev/null; then
  setsid -f unshare -p -f --mount-proc unshare -p -f --mount-proc sleep 10403 </dev/null >/dev/null 2>&1
  sleep 0.5
fi
grep NSpid "/proc/$(pgrep -xf 'sleep 10403' | head -1)/status" > /root/nspid.txt
