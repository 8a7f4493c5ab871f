#!/bin/bash
set -euo pipefail
# Indent context: . under the build step's with: like its sibling file:.
sed -i 's/^        context: \.$/          context: ./' /root/ci-demo/.github/workflows/docker.yml
