#!/bin/bash
set -euo pipefail
mkdir -p /sys/fs/cgroup/cgns-demo
if ! pgrep -xf 'sleep 10902' >/dev/null; then
  setsid -f sh -c 'echo $$ > /sys/fs/cgroup/cgns-demo/cgroup.procs; exec unshare -C sleep 10902' </dev/null >/dev/null 2>&1
  sleep 0.5
fi
P=$(pgrep -xf 'sleep 10902' | head -1)
cat "/proc/$P/cgroup" > /root/cg-outside.txt
nsenter -t "$P" -C cat "/proc/$P/cgroup" > /root/cg-inside.txt
