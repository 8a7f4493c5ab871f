#!/bin/bash
set -euo pipefail
sysctl -w net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 172.30.0.0/24 ! -o br0 -j MASQUERADE
nsenter --net=/run/netns/c1 busybox ping -c 1 -W 2 198.51.100.2
