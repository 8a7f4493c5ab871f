#!/bin/bash
set -euo pipefail
mkdir -p /srv/shared
findmnt /srv/shared >/dev/null || mount --bind /srv/shared /srv/shared
mount --make-shared /srv/shared
mkdir -p /srv/shared/inner
findmnt /srv/shared/inner >/dev/null && exit 0
unshare -m --propagation unchanged sh -c 'mount -t tmpfs tmpfs /srv/shared/inner'
