#!/bin/bash
set -euo pipefail
CG=/sys/fs/cgroup
if ! grep -qw cpu $CG/cgroup.subtree_control; then
  mkdir -p $CG/init
  for _ in 1 2 3; do
    for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
    echo "+cpu" > $CG/cgroup.subtree_control 2>/dev/null && break
  done
fi
mkdir -p $CG/cpu-half
echo "50000 100000" > $CG/cpu-half/cpu.max
if ! pgrep -xf "yes cpu-half" >/dev/null; then
  setsid -f sh -c "echo \$\$ > /sys/fs/cgroup/cpu-half/cgroup.procs; exec timeout 600 yes cpu-half" </dev/null >/dev/null 2>&1
fi
# Let a few 100 ms periods pass so the quota is hit.
sleep 2
