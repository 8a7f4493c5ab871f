#!/bin/bash
set -euo pipefail
cd /root/union
echo apple >> merged/code
echo "written through merged" > merged/notes.txt
