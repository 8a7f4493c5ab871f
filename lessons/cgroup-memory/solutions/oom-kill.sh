#!/bin/bash
set -euo pipefail
. /opt/lesson/solutions/create-limited.sh
# Expected to be OOM-killed (status 137).
sh -c "echo \$\$ > $D/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=100M count=1" || true
grep oom_kill "$D/$EVENTS"
