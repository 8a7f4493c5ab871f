#!/bin/bash
# Copies the build context to /root/dfi and packs the assets into a tarball for the ADD step.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -rf /root/dfi && cp -r "$here/dfi" /root/dfi
tar -czf /root/dfi/assets.tar.gz -C /root/dfi/assets .
rm -rf /root/dfi/assets
mkdir -p /root/dfi/base
