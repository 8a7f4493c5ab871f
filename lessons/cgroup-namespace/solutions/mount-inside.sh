#!/bin/bash
set -euo pipefail
mkdir -p /sys/fs/cgroup/cgns-demo
pgrep -xf 'sleep 10904' >/dev/null && exit 0
setsid -f sh -c 'echo $$ > /sys/fs/cgroup/cgns-demo/cgroup.procs; exec unshare -C -m sh -c "umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec sleep 10904"' </dev/null >/dev/null 2>&1
sleep 0.5
