#!/bin/bash
set -euo pipefail
if [ "$(docker inspect -f '{{.State.Running}}' limited 2>/dev/null)" != true ]; then
  docker rm -f limited >/dev/null 2>&1 || true
  docker run -d --name limited -m 64m --cpus 0.5 --pids-limit 30 busybox sleep 11801
fi
PID=$(docker inspect -f '{{.State.Pid}}' limited)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CGPATH=$(sed -n 's/^0:://p' "/proc/$PID/cgroup")
  cat "/sys/fs/cgroup$CGPATH/memory.max" > /root/limited-memory.max
  cat "/sys/fs/cgroup$CGPATH/cpu.max" > /root/limited-cpu.max
else
  MEM=$(awk -F: '$2 == "memory" {print $3}' "/proc/$PID/cgroup")
  CPU=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' "/proc/$PID/cgroup")
  cat "/sys/fs/cgroup/memory$MEM/memory.limit_in_bytes" > /root/limited-memory.max
  echo "$(cat "/sys/fs/cgroup/cpu$CPU/cpu.cfs_quota_us") $(cat "/sys/fs/cgroup/cpu$CPU/cpu.cfs_period_us")" > /root/limited-cpu.max
fi
