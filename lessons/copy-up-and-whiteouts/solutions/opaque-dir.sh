#!/bin/bash
set -euo pipefail
cd /root/cow
rm -rf merged/docs
mkdir merged/docs
echo "<h1>new docs</h1>" > merged/docs/index.html
