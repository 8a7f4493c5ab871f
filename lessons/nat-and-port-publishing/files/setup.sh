#!/bin/bash
# Builds the previous lesson's network (br0 + namespace c1) and an "outside" namespace
# that stands for the internet: it has no route back to 172.30.0.0/24.
set -euo pipefail
for ns in c1 outside; do ip netns del "$ns" 2>/dev/null || true; done
ip link del br0 2>/dev/null || true
ip link del uplink 2>/dev/null || true

ip link add br0 type bridge
ip addr add 172.30.0.1/24 dev br0
ip link set br0 up

ip netns add c1
ip link add veth-c1 type veth peer name eth0 netns c1
ip link set veth-c1 master br0
ip link set veth-c1 up
nsenter --net=/run/netns/c1 sh -c 'ip addr add 172.30.0.11/24 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via 172.30.0.1'

ip netns add outside
ip link add uplink type veth peer name eth0 netns outside
ip addr add 198.51.100.1/24 dev uplink
ip link set uplink up
nsenter --net=/run/netns/outside sh -c 'ip addr add 198.51.100.2/24 dev eth0 && ip link set eth0 up && ip link set lo up'

# Start from a clean slate: no forwarding, no NAT rules of our own.
sysctl -qw net.ipv4.ip_forward=0
mkdir -p /root/www
echo "hello from c1" > /root/www/index.html
