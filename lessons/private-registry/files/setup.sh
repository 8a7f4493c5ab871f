#!/bin/bash
# Puts the registry configuration where the lesson expects it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p /root/registry /var/lib/registry-lab
cp "$here/registry.yml" /root/registry/config.yml
command -v docker-registry >/dev/null || echo "setup: docker-registry is not installed in this lab image" >&2
