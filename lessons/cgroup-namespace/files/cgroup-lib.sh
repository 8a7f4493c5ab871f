# Sourced by this lesson's scripts: on cgroup v1 and v2, the demo group D and the command that mounts the
# box's cgroup tree (on v1 the pids hierarchy) at /sys/fs/cgroup.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  D=/sys/fs/cgroup/cgns-demo MOUNT='mount -t cgroup2 cgroup2 /sys/fs/cgroup'
else
  D=/sys/fs/cgroup/pids/cgns-demo MOUNT='mount -t cgroup -o pids cgroup /sys/fs/cgroup'
fi
