#!/usr/bin/env bash
# Installs everything Dockyard needs on a fresh Debian machine (as root): Debian packages,
# npm dependencies, the native runtime, and the cached base images.
# Usage: infra/setup.sh [run|test]   (test also installs what only the test suites need)
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
packages() { grep -hvE '^\s*(#|$)' "$@" | tr '\n' ' '; }
apt-get update -q
# shellcheck disable=SC2046
apt-get install -y -q --no-install-recommends $(packages infra/apt-packages.txt)
if [ "$mode" = test ] && [ -f infra/apt-packages-test.txt ]; then
  # shellcheck disable=SC2046
  apt-get install -y -q --no-install-recommends $(packages infra/apt-packages-test.txt)
fi
bash infra/host-prep.sh
npm ci --strict-allow-scripts --no-audit --no-fund
npm run generate -w packages/db
make -C packages/runtime/native
# The read-only engine toolchain every lab box binds (its docker/dockyard commands).
bash infra/box-toolchain/build.sh >/dev/null
bash infra/images/build.sh busybox >/dev/null
bash infra/images/build.sh debian >/dev/null
bash infra/images/build.sh lab-debian >/dev/null
