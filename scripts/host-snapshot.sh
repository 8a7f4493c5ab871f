#!/usr/bin/env bash
# Prints what tests could leave behind on the host, one item per line, sorted, so that a snapshot taken
# before the suites can be compared with one taken after.
set -u
{
  findmnt -rn -o TARGET,FSTYPE | awk '$2=="overlay"||$2=="nsfs"{print "mount " $1 " " $2}'
  # A runtime that remounts a shared superblock read-only breaks the host for everyone after it.
  findmnt -rn -o TARGET,FSTYPE,OPTIONS -t cgroup,cgroup2,sysfs,proc,ext4,xfs,tmpfs 2>/dev/null |
    awk '$1 !~ /^\/(tmp|run\/dockyard|var\/lib\/dockyard|run\/netns)/ {split($3,o,","); print "mountopt " $1 " " $2 " " o[1]}'
  ip -o link show type veth 2>/dev/null | awk -F': ' '{print "veth " $2}' | cut -d@ -f1
  ip -o link show type bridge 2>/dev/null | awk -F': ' '{print "bridge " $2}'
  ls /run/netns 2>/dev/null | sed 's/^/netns /'
  for root in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    # Per-container cgroups below the engine's parent, and anything a test named dytest*; the empty
    # parent itself persists like any engine's.
    find "$root" -maxdepth 4 -type d \( -path '*/dockyard/*' -o -name 'dytest*' \) 2>/dev/null | sed 's/^/cgroup /'
  done
  iptables-save 2>/dev/null | grep -iE 'dockyard|dytest' | grep -v '^:' | sed 's/^/iptables /'
  pgrep -a -x 'dyshim|dyrt' 2>/dev/null | cut -d' ' -f2- | sed 's/^/process /' || true
} | sort -u
exit 0
