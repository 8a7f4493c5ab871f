#!/bin/bash
set -euo pipefail
. /opt/lesson/solutions/quota.sh
if ! pgrep -xf "yes cpu-half" >/dev/null; then
  setsid -f sh -c "$(join cpu-half); exec timeout 600 yes cpu-half" </dev/null >/dev/null 2>&1
fi
# Let a few 100 ms periods pass (throttling only shows once the loop gets its full quota: not on a busy host).
sleep 2
