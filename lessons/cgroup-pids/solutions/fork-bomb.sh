#!/bin/bash
set -euo pipefail
. /opt/lesson/files/cgroup-lib.sh
enable_controller pids
CG=$(cgroup_root pids)
mkdir -p $CG/bomb
echo 50 > $CG/bomb/pids.max
if [ $CGROUP_V = 2 ]; then
  setsid -f bash -c "echo \$\$ > $CG/bomb/cgroup.procs; b() { b | b & }; b" </dev/null >/dev/null 2>&1
else
  F=/sys/fs/cgroup/freezer/bomb
  mkdir -p $F
  setsid -f bash -c "echo \$\$ > $CG/bomb/cgroup.procs; echo \$\$ > $F/cgroup.procs; b() { b | b & }; b" </dev/null >/dev/null 2>&1
fi
for _ in $(seq 50); do grep -q "max [1-9]" $CG/bomb/pids.events && break; sleep 0.2; done
sleep 1
if [ $CGROUP_V = 2 ]; then
  echo 1 > $CG/bomb/cgroup.kill
else
  echo FROZEN > $F/freezer.state
  for _ in $(seq 50); do grep -qx FROZEN $F/freezer.state && break; sleep 0.1; done
  kill -9 $(cat $F/cgroup.procs) 2>/dev/null || true
  echo THAWED > $F/freezer.state
fi
for _ in $(seq 50); do [ "$(cat $CG/bomb/pids.current)" = 0 ] && break; sleep 0.2; done
