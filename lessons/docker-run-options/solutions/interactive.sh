#!/bin/bash
set -euo pipefail
# A script has no terminal to detach from, so start it detached with a TTY and open stdin.
docker run -dit --name shell busybox sh
