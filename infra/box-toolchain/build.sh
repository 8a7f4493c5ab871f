#!/usr/bin/env bash
# Builds the nested-engine toolchain that lab boxes get bind-mounted read-only at /opt/dockyard:
# the dockyard CLI as one self-contained bundle (no node_modules, no other sources), dyrt, dyshim and dyspawn,
# the in-box launcher (bin/dockyard, bin/docker) and mount points for node and the base image cache.
# Usage: build.sh [OUT]   (default $DOCKYARD_BOX_TOOLCHAIN or /var/cache/dockyard/box-toolchain) -> prints OUT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-${DOCKYARD_BOX_TOOLCHAIN:-/var/cache/dockyard/box-toolchain}}
runtime="$repo/packages/runtime"
[ -x "$runtime/native/bin/dyrt" ] && [ -x "$runtime/native/bin/dyshim" ] && [ -x "$runtime/native/bin/dyspawn" ] ||
  make -s -C "$runtime/native" >&2
mkdir -p "$(dirname "$out")"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
tmp="$out/.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
pkg="$tmp/packages/runtime"
mkdir -p "$pkg/bin" "$pkg/dist" "$pkg/src" "$pkg/native/bin" "$tmp/infra/images" "$tmp/bin" "$tmp/images"
# The launcher's freshness check compares the bundle with src/; an empty src/ makes the bundle always fresh.
cp "$runtime/bin/dockyard.mjs" "$pkg/bin/"
cp "$runtime/package.json" "$pkg/"
cp "$runtime/native/bin/dyrt" "$runtime/native/bin/dyshim" "$runtime/native/bin/dyspawn" "$pkg/native/bin/"
# Everything (commander, tar, zod, ...) inside one file; CommonJS dependencies get a require().
"$repo/node_modules/.bin/esbuild" "$runtime/src/cli/main.ts" --bundle --platform=node --format=esm \
  --target=node20 --log-level=error --outfile="$pkg/dist/dockyard.mjs" \
  --banner:js="import { createRequire as __dyRequire } from 'node:module'; const require = __dyRequire(import.meta.url);"
install -m 0755 "$here/in-box/dockyard" "$tmp/bin/dockyard"
# The box's PID 1; static, so it runs in any image.
gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/bin/box-init" "$here/init/box-init.c"
# Client mode (SANDBOXD_BOX_DOCKER=client): Docker's own client (Debian's docker.io, API 1.41) as the in-box
# `docker`, a wrapper that has box-init start the nested daemon on first use, and that daemon's start script.
install -m 0755 "$here/in-box/docker" "$tmp/bin/docker-wrapper"
install -m 0755 "$here/in-box/docker-daemon" "$tmp/bin/docker-daemon"
if [ "$(dpkg-query -W -f='${Status}' docker.io 2>/dev/null)" = "install ok installed" ]; then
  install -m 0755 /usr/bin/docker "$tmp/bin/docker-client"
else
  # Not installed here (it would bring dockerd along): take the client out of the package.
  mkdir -p "$tmp/deb"
  (cd "$tmp/deb" && apt-get download -q docker.io >&2)
  dpkg-deb -x "$tmp"/deb/docker.io_*.deb "$tmp/deb/x"
  install -m 0755 "$tmp/deb/x/usr/bin/docker" "$tmp/bin/docker-client"
  rm -rf "$tmp/deb"
fi
ln -s dockyard "$tmp/bin/docker"
install -m 0755 "$here/in-box/image-cache.sh" "$tmp/infra/images/build.sh"
: > "$tmp/bin/node" # mount point for the host's node binary
chmod -R a+rX "$tmp"
# Versioned by content, never replaced in place: running boxes keep the bind of the version they started with.
version=$(cd "$tmp" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
mkdir -p "$out"
if [ -d "$out/$version" ]; then rm -rf "$tmp"; else mv "$tmp" "$out/$version"; fi
trap - EXIT
ln -sfn "$version" "$out/current"
echo "$out/$version"
