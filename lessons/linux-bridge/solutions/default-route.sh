#!/bin/bash
set -euo pipefail
for ns in c1 c2; do
  nsenter --net=/run/netns/$ns ip route add default via 172.30.0.1
done
