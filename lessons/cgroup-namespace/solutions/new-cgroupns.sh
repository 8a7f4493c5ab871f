#!/bin/bash
set -euo pipefail
. /opt/lesson/files/cgroup-lib.sh
mkdir -p $D
pgrep -xf 'sleep 10902' >/dev/null && exit 0
setsid -f sh -c "echo \$\$ > $D/cgroup.procs; exec unshare -C sleep 10902" </dev/null >/dev/null 2>&1
sleep 0.5
