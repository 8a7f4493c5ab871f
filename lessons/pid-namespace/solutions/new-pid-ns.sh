#!/bin/bash
set -euo pipefail
pgrep -xf 'sleep 10401' >/dev/null && exit 0
setsid -f unshare -p -f --mount-proc sleep 10401 </dev/null >/dev/null 2>&1
sleep 0.5
