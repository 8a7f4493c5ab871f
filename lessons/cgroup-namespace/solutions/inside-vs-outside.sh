#!/bin/bash
set -euo pipefail
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  D=/sys/fs/cgroup/cgns-demo LINE='^0::' MOUNT='mount -t cgroup2 cgroup2 /sys/fs/cgroup'
else
  D=/sys/fs/cgroup/pids/cgns-demo LINE=':pids:' MOUNT='mount -t cgroup -o pids cgroup /sys/fs/cgroup'
fi
mkdir -p $D
if ! pgrep -xf 'sleep 10902' >/dev/null; then
  setsid -f sh -c "echo \$\$ > $D/cgroup.procs; exec unshare -C sleep 10902" </dev/null >/dev/null 2>&1
  sleep 0.5
fi
P=$(pgrep -xf 'sleep 10902' | head -1)
grep "$LINE" "/proc/$P/cgroup" > /root/cg-outside.txt
nsenter -t "$P" -C grep "$LINE" "/proc/$P/cgroup" > /root/cg-inside.txt
