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
mkdir -p $CG/cpu-race/a $CG/cpu-race/b
echo "+cpu" > $CG/cpu-race/cgroup.subtree_control
echo 300 > $CG/cpu-race/a/cpu.weight
echo 100 > $CG/cpu-race/b/cpu.weight
for g in a b; do
  if ! pgrep -xf "yes race-$g" >/dev/null; then
    setsid -f sh -c "echo \$\$ > /sys/fs/cgroup/cpu-race/$g/cgroup.procs; exec taskset -c 0 timeout 600 yes race-$g" </dev/null >/dev/null 2>&1
  fi
done
sleep 0.5
