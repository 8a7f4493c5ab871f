#!/bin/bash
set -euo pipefail
bash /opt/lesson/solutions/rootfs.sh
cat > /root/ctr/run.sh <<'SCRIPT'
#!/bin/sh
# Usage: run.sh COMMAND [ARG...]
# Runs COMMAND as PID 1 of a hand-made container built from /root/ctr/rootfs.
exec unshare --mount --uts --ipc --net --pid --fork --cgroup sh -e -c '
ROOTFS=/root/ctr/rootfs
hostname handmade

# 1. The new root must be a mount point for pivot_root.
mount --bind "$ROOTFS" "$ROOTFS"
cd "$ROOTFS"

# 2. Kernel filesystems. This proc belongs to the new PID namespace.
mount -t proc proc proc
mount --rbind /sys sys
mount -o remount,bind,ro sys

# 3. A minimal /dev: a tmpfs with device nodes bound in from the box
#    (mknod is not allowed inside a user namespace).
mount -t tmpfs -o mode=755,size=64k tmpfs dev
for d in null zero full random urandom tty; do
  touch dev/$d
  mount --bind /dev/$d dev/$d
done
mkdir dev/pts dev/shm dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts dev/pts
ln -s pts/ptmx dev/ptmx
mount -t tmpfs -o mode=1777,size=64m shm dev/shm
mount -t mqueue mqueue dev/mqueue
ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr

# 4. Swap the root and drop the old one.
mkdir -p old_root
pivot_root . old_root
cd /
umount -l /old_root
rmdir /old_root

exec "$@"
' run.sh "$@"
SCRIPT
chmod +x /root/ctr/run.sh
pgrep -xf 'sleep 11303' >/dev/null && exit 0
setsid -f /root/ctr/run.sh sleep 11303 </dev/null >/dev/null 2>&1
sleep 1
