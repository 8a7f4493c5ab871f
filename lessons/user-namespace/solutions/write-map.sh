#!/bin/bash
set -euo pipefail
if pgrep -xf 'sleep 10804' >/dev/null; then
  P=$(pgrep -xf 'sleep 10804' | head -1)
  grep -q . "/proc/$P/uid_map" && exit 0
else
  setsid -f unshare -U sleep 10804 </dev/null >/dev/null 2>&1
  sleep 0.5
  P=$(pgrep -xf 'sleep 10804' | head -1)
fi
echo '0 2000 100' > "/proc/$P/uid_map"
