#!/bin/bash
set -euo pipefail
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CG=/sys/fs/cgroup
  if ! grep -qw memory $CG/cgroup.subtree_control; then
    mkdir -p $CG/init
    for _ in 1 2 3; do
      for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
      echo "+memory" > $CG/cgroup.subtree_control 2>/dev/null && break
    done
  fi
  D=$CG/mem-demo
  mkdir -p $D
  echo 64M > $D/memory.max
  echo 0 > $D/memory.swap.max 2>/dev/null || true
  PEAK=memory.peak EVENTS=memory.events
else
  D=/sys/fs/cgroup/memory/mem-demo
  mkdir -p $D
  echo 64M > $D/memory.limit_in_bytes
  echo 64M > $D/memory.memsw.limit_in_bytes 2>/dev/null || true
  PEAK=memory.max_usage_in_bytes EVENTS=memory.oom_control
fi
# Expected to be OOM-killed (status 137).
sh -c "echo \$\$ > $D/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=100M count=1" || true
grep oom_kill "$D/$EVENTS"
