#!/bin/bash
set -euo pipefail
if [ "$(docker inspect -f '{{.State.Running}}' limited 2>/dev/null)" != true ]; then
  docker rm -f limited >/dev/null 2>&1 || true
  docker run -d --name limited -m 64m --cpus 0.5 --pids-limit 30 busybox sleep 11801
fi
PID=$(docker inspect -f '{{.State.Pid}}' limited)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CGPATH=$(sed -n 's/^0:://p' "/proc/$PID/cgroup")
  cat "/sys/fs/cgroup$CGPATH/memory.max" "/sys/fs/cgroup$CGPATH/cpu.max"
  echo 25 > "/sys/fs/cgroup$CGPATH/pids.max"
else
  MEM=$(awk -F: '$2 == "memory" {print $3}' "/proc/$PID/cgroup")
  PIDS=$(awk -F: '$2 == "pids" {print $3}' "/proc/$PID/cgroup")
  cat "/sys/fs/cgroup/memory$MEM/memory.limit_in_bytes"
  echo 25 > "/sys/fs/cgroup/pids$PIDS/pids.max"
fi
docker inspect -f '{{.HostConfig.PidsLimit}}' limited
