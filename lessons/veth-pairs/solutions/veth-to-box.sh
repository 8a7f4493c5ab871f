#!/bin/bash
set -euo pipefail
ip link add veth-red type veth peer name vbox
ip link set veth-red netns red
nsenter --net=/run/netns/red ip link set veth-red name eth0
nsenter --net=/run/netns/red ip addr add 10.10.0.1/24 dev eth0
nsenter --net=/run/netns/red ip link set eth0 up
nsenter --net=/run/netns/red ip link set lo up
ip addr add 10.10.0.2/24 dev vbox
ip link set vbox up
busybox ping -c 1 -W 2 10.10.0.1
