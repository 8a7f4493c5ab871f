#!/bin/bash
set -euo pipefail
mkdir -p /sys/fs/cgroup/lab14
pgrep -xf 'sleep 11402' >/dev/null && exit 0
setsid -f sh -c 'echo $$ > /sys/fs/cgroup/lab14/cgroup.procs; exec sleep 11402' </dev/null >/dev/null 2>&1
sleep 0.5
