#!/bin/bash
set -euo pipefail
[ -e /var/lib/lxc/c1/config ] || bash /opt/lesson/solutions/create.sh
lxc-info -n c1 -s | grep -q RUNNING || lxc-start -n c1
lxc-wait -n c1 -s RUNNING -t 10
if ! pgrep -xf 'sleep 10202' >/dev/null; then
  setsid -f lxc-attach -n c1 -- sleep 10202 </dev/null >/dev/null 2>&1
  sleep 1
fi
