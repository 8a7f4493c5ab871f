#!/usr/bin/env bash
# Host kernel settings the runtime relies on. Idempotent.
set -euo pipefail
# Hybrid cgroup hosts: a hugetlb controller left on the v2 mount makes crun refuse to run;
# mounting it as v1 moves it off. (Our own runtime copes either way; crun is a test peer.)
if [ -d /sys/fs/cgroup/unified ] && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mountpoint -q /sys/fs/cgroup/hugetlb || mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
modprobe overlay 2>/dev/null || true
modprobe br_netfilter 2>/dev/null || true
sysctl -qw net.ipv4.ip_forward=1
