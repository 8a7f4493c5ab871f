#!/bin/bash
set -euo pipefail
mkdir -p /root/union
mountpoint -q /root/union || mount -t tmpfs tmpfs /root/union
cd /root/union
mkdir -p base app upper work merged
echo "base version" > base/code
echo "9:00 standup" > base/meeting
echo "app version" > app/code
echo "noodles" > app/eat
mount -t overlay overlay -o lowerdir=app:base,upperdir=upper,workdir=work,userxattr merged
