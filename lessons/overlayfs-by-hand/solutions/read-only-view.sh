#!/bin/bash
set -euo pipefail
mkdir -p /root/union/ro
mount -t overlay overlay -o lowerdir=/root/union/app:/root/union/base /root/union/ro
