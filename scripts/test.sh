#!/usr/bin/env bash
# The whole test suite, each suite once: lint, types, unit + integration (as root), e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
make -C packages/runtime/native >/dev/null
npm run lint
npm run typecheck
npm test --workspaces --if-present
