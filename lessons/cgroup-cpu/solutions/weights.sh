#!/bin/bash
set -euo pipefail
. /opt/lesson/files/cgroup-lib.sh
enable_controller cpu
if [ $CGROUP_V = 2 ]; then
  mkdir -p /sys/fs/cgroup/cpu-race/a /sys/fs/cgroup/cpu-race/b
  echo "+cpu" > /sys/fs/cgroup/cpu-race/cgroup.subtree_control
  echo 118 > /sys/fs/cgroup/cpu-race/a/cpu.weight
  echo 39 > /sys/fs/cgroup/cpu-race/b/cpu.weight
else
  for g in a b; do mkdir -p /sys/fs/cgroup/cpu/cpu-race/$g /sys/fs/cgroup/cpuacct/cpu-race/$g; done
  echo 3072 > /sys/fs/cgroup/cpu/cpu-race/a/cpu.shares
  echo 1024 > /sys/fs/cgroup/cpu/cpu-race/b/cpu.shares
fi
for g in a b; do
  if ! pgrep -xf "yes race-$g" >/dev/null; then
    setsid -f sh -c "$(join cpu-race/$g); exec taskset -c 0 timeout 600 yes race-$g" </dev/null >/dev/null 2>&1
  fi
done
sleep 0.5
