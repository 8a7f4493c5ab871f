# Sourced by this lesson's scripts: the same commands for cgroup v1 and v2.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then CGROUP_V=2; else CGROUP_V=1; fi

# cgroup_root CONTROLLER: the directory new groups for CONTROLLER go in (v1 has one tree per controller).
cgroup_root() {
  if [ $CGROUP_V = 2 ]; then echo /sys/fs/cgroup; else echo "/sys/fs/cgroup/$1"; fi
}

# enable_controller CONTROLLER: on v2 the box's root cgroup must hand CONTROLLER down to its children, which it can
# only do once its own processes sit in a leaf (the note in cgroups-overview). v1 needs nothing.
enable_controller() {
  local cg=/sys/fs/cgroup
  [ $CGROUP_V = 2 ] || return 0
  grep -qw "$1" $cg/cgroup.subtree_control && return 0
  mkdir -p $cg/init
  # Processes forked meanwhile land in the root again: retry.
  for _ in 1 2 3; do
    for p in $(cat $cg/cgroup.procs); do echo "$p" > $cg/init/cgroup.procs 2>/dev/null || true; done
    echo "+$1" > $cg/cgroup.subtree_control 2>/dev/null && return 0
  done
  echo "could not enable the $1 controller in $cg" >&2
}
