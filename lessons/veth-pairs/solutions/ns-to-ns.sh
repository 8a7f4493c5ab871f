#!/bin/bash
set -euo pipefail
ip link set vbox netns blue
nsenter --net=/run/netns/blue ip addr add 10.10.0.2/24 dev vbox
nsenter --net=/run/netns/blue ip link set vbox up
nsenter --net=/run/netns/blue ip link set lo up
nsenter --net=/run/netns/blue busybox ping -c 1 -W 2 10.10.0.1
