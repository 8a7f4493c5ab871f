#!/bin/bash
set -euo pipefail
sed -i -e 's/^\( *\)username: myname$/\1username: ${{ secrets.DOCKERHUB_USERNAME }}/' \
  -e 's/^\( *\)password: Passw0rd-do-not-commit$/\1password: ${{ secrets.DOCKERHUB_TOKEN }}/' \
  /root/ci-demo/.github/workflows/docker.yml
