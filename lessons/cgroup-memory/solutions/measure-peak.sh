#!/bin/bash
set -euo pipefail
. /opt/lesson/solutions/create-limited.sh
sh -c "echo \$\$ > $D/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=40M count=1"
cat "$D/$PEAK"
