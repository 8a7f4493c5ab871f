#!/bin/bash
set -euo pipefail
pgrep -xf 'sleep 11402' >/dev/null || { setsid -f sleep 11402 </dev/null >/dev/null 2>&1; sleep 0.3; }
P=$(pgrep -xf 'sleep 11402' | head -1)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CG=/sys/fs/cgroup/lab14/leaf
  mkdir -p $CG
  grep -qx "$P" $CG/cgroup.procs || echo "$P" > $CG/cgroup.procs
  echo 1 > $CG/cgroup.freeze
  for _ in $(seq 20); do grep -q 'frozen 1' $CG/cgroup.events && break; sleep 0.2; done
  cat $CG/cgroup.events
else
  CG=/sys/fs/cgroup/freezer/lab14/leaf
  mkdir -p $CG
  echo "$P" > $CG/cgroup.procs
  echo FROZEN > $CG/freezer.state
  for _ in $(seq 20); do grep -qx FROZEN $CG/freezer.state && break; sleep 0.2; done
  cat $CG/freezer.state
fi
ps -o pid,stat,cmd -p "$P"
