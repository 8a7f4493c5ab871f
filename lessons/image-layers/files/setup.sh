#!/bin/bash
# Copies the build example to /root/layers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -rf /root/layers && cp -r "$here/layers" /root/layers
