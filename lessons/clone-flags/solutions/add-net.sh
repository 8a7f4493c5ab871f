#!/bin/bash
set -euo pipefail
pgrep -xf 'sleep 11003' >/dev/null && exit 0
[ -f /root/clone/ns_clone.c ] || bash /opt/lesson/solutions/compile.sh
grep -q 'CLONE_NEWNS | CLONE_NEWNET;' /root/clone/ns_clone.c || sed -i 's/CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS;/CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET;/' /root/clone/ns_clone.c
gcc -Wall -o /root/clone/ns_clone /root/clone/ns_clone.c
setsid -f /root/clone/ns_clone clone-net sleep 11003 </dev/null >/dev/null 2>&1
sleep 0.5
