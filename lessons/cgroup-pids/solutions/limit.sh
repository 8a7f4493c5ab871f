#!/bin/bash
set -euo pipefail
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  V=2 CG=/sys/fs/cgroup
  if ! grep -qw pids $CG/cgroup.subtree_control; then
    mkdir -p $CG/init
    for _ in 1 2 3; do
      for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
      echo "+pids" > $CG/cgroup.subtree_control 2>/dev/null && break
    done
  fi
else
  V=1 CG=/sys/fs/cgroup/pids
fi
mkdir -p $CG/pids-demo
echo 20 > $CG/pids-demo/pids.max
