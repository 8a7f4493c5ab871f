#!/bin/bash
set -euo pipefail
cd /root/cow
mount -t overlay overlay -o lowerdir=lower,upperdir=upper,workdir=work,userxattr merged
