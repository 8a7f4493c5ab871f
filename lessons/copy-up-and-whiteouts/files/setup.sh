#!/bin/bash
# Prepares a read-only "image" layer on a fresh tmpfs at /root/cow.
set -euo pipefail
mkdir -p /root/cow
mountpoint -q /root/cow/merged && umount /root/cow/merged
mountpoint -q /root/cow && umount /root/cow
mount -t tmpfs -o size=64m tmpfs /root/cow
cd /root/cow
mkdir -p lower/etc lower/data lower/docs upper work merged
printf 'port=8080\nworkers=4\n' > lower/etc/app.conf
for f in a b c; do echo "record $f" > "lower/data/$f"; done
echo "old manual" > lower/docs/readme.txt
echo "old changelog" > lower/docs/changes.txt
dd if=/dev/zero of=lower/big.bin bs=1M count=16 status=none
