#!/bin/bash
set -euo pipefail
. /opt/lesson/solutions/limit.sh
if ! pgrep -xf "sleep 11702" >/dev/null; then
  setsid -f sh -c "echo \$\$ > $CG/pids-demo/cgroup.procs; for i in \$(seq 30); do sleep 11702 & done; wait" </dev/null >/dev/null 2>&1
  sleep 2
fi
