#!/bin/bash
set -euo pipefail
docker unpause life
docker exec life sh -c 'echo "written by exec" > /tmp/note'
docker cp life:/tmp/note /root/note.txt
