#!/bin/bash
set -euo pipefail
pgrep -xf 'sleep 11402' >/dev/null || { setsid -f sleep 11402 </dev/null >/dev/null 2>&1; sleep 0.3; }
P=$(pgrep -xf 'sleep 11402' | head -1)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CG=/sys/fs/cgroup
  # The box's root must hand memory and pids down; if it doesn't, move its processes into a leaf first.
  if ! grep -qw memory $CG/cgroup.subtree_control || ! grep -qw pids $CG/cgroup.subtree_control; then
    mkdir -p $CG/init
    for _ in 1 2 3; do
      for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
      echo "+memory +pids" > $CG/cgroup.subtree_control 2>/dev/null && break
    done
  fi
  mkdir -p $CG/lab14/leaf
  echo "$P" > $CG/lab14/leaf/cgroup.procs
  echo "+memory +pids" > $CG/lab14/cgroup.subtree_control
  echo 100M > $CG/lab14/leaf/memory.max
  echo 10 > $CG/lab14/leaf/pids.max
else
  mkdir -p /sys/fs/cgroup/memory/lab14/leaf /sys/fs/cgroup/pids/lab14/leaf
  echo "$P" > /sys/fs/cgroup/memory/lab14/leaf/cgroup.procs
  echo "$P" > /sys/fs/cgroup/pids/lab14/leaf/cgroup.procs
  echo 100M > /sys/fs/cgroup/memory/lab14/leaf/memory.limit_in_bytes
  echo 10 > /sys/fs/cgroup/pids/lab14/leaf/pids.max
fi
