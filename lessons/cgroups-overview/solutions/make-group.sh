#!/bin/bash
set -euo pipefail
pgrep -xf 'sleep 11402' >/dev/null || { setsid -f sleep 11402 </dev/null >/dev/null 2>&1; sleep 0.3; }
P=$(pgrep -xf 'sleep 11402' | head -1)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  mkdir -p /sys/fs/cgroup/lab14
  echo "$P" > /sys/fs/cgroup/lab14/cgroup.procs
else
  mkdir -p /sys/fs/cgroup/memory/lab14 /sys/fs/cgroup/pids/lab14
  echo "$P" > /sys/fs/cgroup/memory/lab14/cgroup.procs
  echo "$P" > /sys/fs/cgroup/pids/lab14/cgroup.procs
fi
