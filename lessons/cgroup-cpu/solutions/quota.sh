#!/bin/bash
set -euo pipefail
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  V=2 CG=/sys/fs/cgroup
  if ! grep -qw cpu $CG/cgroup.subtree_control; then
    mkdir -p $CG/init
    for _ in 1 2 3; do
      for p in $(cat $CG/cgroup.procs); do echo "$p" > $CG/init/cgroup.procs 2>/dev/null || true; done
      echo "+cpu" > $CG/cgroup.subtree_control 2>/dev/null && break
    done
  fi
else
  V=1
fi
# join GROUP: the cgroup.procs files a process writes itself into to be in GROUP.
join() {
  if [ $V = 2 ]; then echo "echo \$\$ > /sys/fs/cgroup/$1/cgroup.procs"
  else echo "echo \$\$ > /sys/fs/cgroup/cpu/$1/cgroup.procs; echo \$\$ > /sys/fs/cgroup/cpuacct/$1/cgroup.procs"; fi
}
if [ $V = 2 ]; then
  mkdir -p /sys/fs/cgroup/cpu-half
  echo "50000 100000" > /sys/fs/cgroup/cpu-half/cpu.max
else
  mkdir -p /sys/fs/cgroup/cpu/cpu-half /sys/fs/cgroup/cpuacct/cpu-half
  echo 100000 > /sys/fs/cgroup/cpu/cpu-half/cpu.cfs_period_us
  echo 50000 > /sys/fs/cgroup/cpu/cpu-half/cpu.cfs_quota_us
fi
