#!/bin/bash
set -euo pipefail
ip link add br0 type bridge
ip addr add 172.30.0.1/24 dev br0
ip link set br0 up
