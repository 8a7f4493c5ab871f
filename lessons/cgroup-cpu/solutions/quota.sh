#!/bin/bash
# burn sources this for the cpu-half group and join.
set -euo pipefail
. /opt/lesson/files/cgroup-lib.sh
enable_controller cpu
if [ $CGROUP_V = 2 ]; then
  mkdir -p /sys/fs/cgroup/cpu-half
  echo "50000 100000" > /sys/fs/cgroup/cpu-half/cpu.max
else
  mkdir -p /sys/fs/cgroup/cpu/cpu-half /sys/fs/cgroup/cpuacct/cpu-half
  echo 100000 > /sys/fs/cgroup/cpu/cpu-half/cpu.cfs_period_us
  echo 50000 > /sys/fs/cgroup/cpu/cpu-half/cpu.cfs_quota_us
fi
