#!/bin/bash
set -euo pipefail
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  D=/sys/fs/cgroup/cgns-demo LINE='^0::' MOUNT='mount -t cgroup2 cgroup2 /sys/fs/cgroup'
else
  D=/sys/fs/cgroup/pids/cgns-demo LINE=':pids:' MOUNT='mount -t cgroup -o pids cgroup /sys/fs/cgroup'
fi
mkdir -p $D
pgrep -xf 'sleep 10904' >/dev/null && exit 0
setsid -f sh -c "echo \$\$ > $D/cgroup.procs; exec unshare -C -m sh -c 'umount -l /sys/fs/cgroup && $MOUNT && exec sleep 10904'" </dev/null >/dev/null 2>&1
sleep 0.5
