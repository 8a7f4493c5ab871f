#!/bin/bash
set -euo pipefail
ipcs -m | grep -qE '\s4096\s' || ipcmk -M 4096
if ! pgrep -xf 'sleep 10603' >/dev/null; then
  setsid -f unshare -i sh -c 'ipcmk -M 65536 && exec sleep 10603' </dev/null >/dev/null 2>&1
  sleep 0.5
fi
