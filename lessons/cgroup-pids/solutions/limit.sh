#!/bin/bash
# hit-limit sources this for the group's tree (CG).
set -euo pipefail
. /opt/lesson/files/cgroup-lib.sh
enable_controller pids
CG=$(cgroup_root pids)
mkdir -p $CG/pids-demo
echo 20 > $CG/pids-demo/pids.max
