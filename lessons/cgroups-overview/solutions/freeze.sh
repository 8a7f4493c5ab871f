#!/bin/bash
set -euo pipefail
mkdir -p /sys/fs/cgroup/lab14/leaf
if [ -z "$(cat /sys/fs/cgroup/lab14/leaf/cgroup.procs)" ]; then
  setsid -f sh -c 'echo $$ > /sys/fs/cgroup/lab14/leaf/cgroup.procs; exec sleep 11402' </dev/null >/dev/null 2>&1
  sleep 0.5
fi
echo 1 > /sys/fs/cgroup/lab14/leaf/cgroup.freeze
for _ in $(seq 20); do grep -q 'frozen 1' /sys/fs/cgroup/lab14/leaf/cgroup.events && break; sleep 0.2; done
