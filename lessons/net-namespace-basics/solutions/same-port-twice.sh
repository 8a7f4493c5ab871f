#!/bin/bash
set -euo pipefail
ip netns list | grep -qw red || ip netns add red
nsenter --net=/run/netns/red ip link set lo up
mkdir -p /srv/box /srv/red
echo "hello from the box" > /srv/box/index.html
echo "hello from red" > /srv/red/index.html
pgrep -f 'httpd -p 8000 -h /srv/box' >/dev/null || busybox httpd -p 8000 -h /srv/box
pgrep -f 'httpd -p 8000 -h /srv/red' >/dev/null || nsenter --net=/run/netns/red busybox httpd -p 8000 -h /srv/red
sleep 0.5
