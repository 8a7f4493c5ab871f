#!/usr/bin/env bash
# Builds a base image rootfs from Debian packages (no registry downloads) and caches it.
# Usage: build.sh busybox|debian|lab-debian   -> prints the rootfs directory on stdout.
# Cache: $DOCKYARD_IMAGE_CACHE (default /var/cache/dockyard/images)/<name>/{rootfs,layer.tar,stamp}
set -euo pipefail
name=${1:?usage: build.sh busybox|debian}
here=$(cd "$(dirname "$0")" && pwd)
cache=${DOCKYARD_IMAGE_CACHE:-/var/cache/dockyard/images}
recipe="$here/$name.sh"
[ -f "$recipe" ] || { echo "build.sh: no recipe for image '$name'" >&2; exit 2; }
out="$cache/$name"
# The stamp ties the cache to the recipe text, so editing a recipe rebuilds the image.
stamp=$(cat "$recipe" "$here/build.sh" "$here/mirror.sh" | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -d "$out/rootfs" ]; then
  echo "$out/rootfs"; exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.$name.lock"
flock 9
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -d "$out/rootfs" ]; then
  echo "$out/rootfs"; exit 0
fi
tmp="$cache/.$name.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp/rootfs"
trap 'rm -rf "$tmp"' EXIT
bash "$recipe" "$tmp/rootfs" >&2
# A single-layer tarball of the rootfs, deterministic order and mtimes, for the engine's image import.
tar --sort=name --mtime='2024-01-01 00:00:00Z' --numeric-owner --xattrs --xattrs-include='*' \
  -C "$tmp/rootfs" -cf "$tmp/layer.tar" .
echo "$stamp" > "$tmp/stamp"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
echo "$out/rootfs"
