#!/bin/bash
set -euo pipefail
CG=/sys/fs/cgroup
if ! grep -qw pids $CG/cgroup.subtree_control; then
  mkdir -p $CG/init
  for _ in 1 2 3; do
    for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
    echo "+pids" > $CG/cgroup.subtree_control 2>/dev/null && break
  done
fi
mkdir -p $CG/bomb
echo 50 > $CG/bomb/pids.max
setsid -f bash -c "echo \$\$ > /sys/fs/cgroup/bomb/cgroup.procs; b() { b | b & }; b" </dev/null >/dev/null 2>&1
for _ in $(seq 50); do grep -q "max [1-9]" $CG/bomb/pids.events && break; sleep 0.2; done
sleep 1
echo 1 > $CG/bomb/cgroup.kill
for _ in $(seq 50); do [ "$(cat $CG/bomb/pids.current)" = 0 ] && break; sleep 0.2; done
