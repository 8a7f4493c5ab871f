#!/bin/bash
set -euo pipefail
if [ ! -e /var/lib/lxc/c1/config ]; then
  printf 'lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n' > /root/c1.conf
  lxc-create -n c1 -t busybox -f /root/c1.conf
fi
lxc-info -n c1 -s | grep -q RUNNING || lxc-start -n c1
lxc-wait -n c1 -s RUNNING -t 10
lxc-attach -n c1 -- sh -c 'mkdir -p /root && echo "hello from c1" > /root/hello.txt'
