#!/bin/bash
set -euo pipefail
cd /root/cow
echo debug=true >> merged/etc/app.conf
printf 'x' >> merged/big.bin
