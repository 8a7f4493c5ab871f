#!/bin/bash
set -euo pipefail
ip netns add c1
ip link add veth-c1 type veth peer name eth0 netns c1
ip link set veth-c1 master br0
ip link set veth-c1 up
nsenter --net=/run/netns/c1 ip addr add 172.30.0.11/24 dev eth0
nsenter --net=/run/netns/c1 ip link set eth0 up
nsenter --net=/run/netns/c1 ip link set lo up
busybox ping -c 1 -W 2 172.30.0.11
