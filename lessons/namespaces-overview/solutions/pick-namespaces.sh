#!/bin/bash
set -euo pipefail
pgrep -xf 'sleep 10302' >/dev/null && exit 0
setsid -f unshare --uts --ipc --net sleep 10302 </dev/null >/dev/null 2>&1
sleep 0.5
