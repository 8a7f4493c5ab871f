#!/bin/bash
set -euo pipefail
lxc-info -n c1 -s 2>/dev/null | grep -q RUNNING || bash /opt/lesson/solutions/start.sh
lxc-attach -n c1 -- sh -c 'mkdir -p /root && echo "hello from c1" > /root/hello.txt'
