#!/usr/bin/env bash
# The whole test suite, each suite once: lint, types, unit + integration (as root), e2e; then a check that
# the suites left nothing behind on the host (mounts, veths, bridges, netns, cgroups, iptables rules, shims).
set -euo pipefail
cd "$(dirname "$0")/.."
make -C packages/runtime/native >/dev/null
npm run lint
npm run typecheck
before=$(mktemp)
after=$(mktemp)
logs=$(mktemp -d)
trap 'rm -rf "$before" "$after" "$logs"' EXIT
bash scripts/host-snapshot.sh >"$before"
# Each workspace's suite runs even when an earlier one failed, and the end of the output names the failures
# (a CI log often keeps only its tail).
failed=()
for ws in $(node scripts/workspaces-with-tests.mjs); do
  echo "=== npm test -w $ws"
  log="$logs/$(echo "$ws" | tr / _).log"
  npm test -w "$ws" 2>&1 | tee "$log" || failed+=("$ws")
done
# Shims linger a moment for late readers and exited ones wait for pid 1 to reap them: give what is
# still going away a few seconds before calling it a leak.
for _ in $(seq 1 15); do
  bash scripts/host-snapshot.sh >"$after"
  diff -q "$before" "$after" >/dev/null && break
  sleep 1
done
status=0
if [ ${#failed[@]} -gt 0 ]; then
  for ws in "${failed[@]}"; do
    echo "=== why $ws failed (its failing tests and errors, again):"
    # vitest's and playwright's failure lines without colour codes, short enough to stay in a log's tail.
    sed 's/\x1b\[[0-9;]*m//g' "$logs/$(echo "$ws" | tr / _).log" |
      grep -E -A6 '^ *(FAIL |×|✘)|Error:' | head -n 40 || true
  done
  status=1
fi
if ! diff -u "$before" "$after" >/dev/null; then
  echo "The test suites left these behind on the host:"
  diff "$before" "$after" | grep '^>' || true
  status=1
else
  echo "host left as it was found"
fi
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED test suites: ${failed[*]}"; fi
exit $status
