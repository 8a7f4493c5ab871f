#!/bin/bash
set -euo pipefail
ip netns add c2
ip link add veth-c2 type veth peer name eth0 netns c2
ip link set veth-c2 master br0
ip link set veth-c2 up
nsenter --net=/run/netns/c2 ip addr add 172.30.0.12/24 dev eth0
nsenter --net=/run/netns/c2 ip link set eth0 up
nsenter --net=/run/netns/c2 ip link set lo up
nsenter --net=/run/netns/c1 busybox ping -c 1 -W 2 172.30.0.12
