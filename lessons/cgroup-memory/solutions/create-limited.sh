#!/bin/bash
# The later steps source this for the group (D) and the names of its peak and events files.
set -euo pipefail
. /opt/lesson/files/cgroup-lib.sh
enable_controller memory
D=$(cgroup_root memory)/mem-demo
mkdir -p $D
if [ $CGROUP_V = 2 ]; then
  echo 64M > $D/memory.max
  echo 0 > $D/memory.swap.max 2>/dev/null || true
  PEAK=memory.peak EVENTS=memory.events
else
  echo 64M > $D/memory.limit_in_bytes
  echo 64M > $D/memory.memsw.limit_in_bytes 2>/dev/null || true
  PEAK=memory.max_usage_in_bytes EVENTS=memory.oom_control
fi
