#!/usr/bin/env bash
# busybox: the busybox-static Debian package, with its applets installed as symlinks.
set -euo pipefail
root=${1:?rootfs dir}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download busybox-static >/dev/null)
dpkg -x "$work"/busybox-static_*.deb "$work/x"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/www,home}
cp "$work/x/bin/busybox" "$root/bin/busybox"
chroot "$root" /bin/busybox --install -s
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
: > "$root/etc/hosts"; : > "$root/etc/resolv.conf"; echo busybox > "$root/etc/hostname"
