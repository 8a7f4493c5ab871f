#!/bin/bash
# Copies the compose project skeleton to /root/compose.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -rf /root/compose && cp -r "$here/compose" /root/compose
