#!/bin/bash
# Copies the site project to /root/ms and adds what a real project directory tends to contain:
# a heavy dependency folder, a secrets file and logs — none of which belongs in an image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -rf /root/ms && cp -r "$here/ms" /root/ms
mkdir -p /root/ms/node_modules/huge-lib
head -c 20M /dev/urandom > /root/ms/node_modules/huge-lib/blob.bin
printf 'DB_PASSWORD=hunter2\nAPI_TOKEN=not-for-images\n' > /root/ms/.env
echo "debug output" > /root/ms/build.log
