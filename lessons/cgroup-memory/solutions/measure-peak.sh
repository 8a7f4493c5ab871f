#!/bin/bash
set -euo pipefail
CG=/sys/fs/cgroup
if ! grep -qw memory $CG/cgroup.subtree_control; then
  mkdir -p $CG/init
  for _ in 1 2 3; do
    for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
    echo "+memory" > $CG/cgroup.subtree_control 2>/dev/null && break
  done
fi
mkdir -p $CG/mem-demo
echo 64M > $CG/mem-demo/memory.max
echo 0 > $CG/mem-demo/memory.swap.max 2>/dev/null || true
sh -c 'echo $$ > /sys/fs/cgroup/mem-demo/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=40M count=1'
