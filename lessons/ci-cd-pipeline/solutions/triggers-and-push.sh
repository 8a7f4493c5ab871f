#!/bin/bash
set -euo pipefail
W=/root/ci-demo/.github/workflows/docker.yml
# Run on pushes to main as well as by hand.
grep -q '^  push:$' $W || sed -i 's/^on:$/on:\n  push:\n    branches: [main]/' $W
# Current major versions of the actions.
sed -i -e 's#actions/checkout@v2$#actions/checkout@v4#' \
  -e 's#docker/login-action@v1$#docker/login-action@v3#' \
  -e 's#docker/setup-qemu-action@v1$#docker/setup-qemu-action@v3#' \
  -e 's#docker/setup-buildx-action@v1$#docker/setup-buildx-action@v3#' \
  -e 's#docker/build-push-action@v2$#docker/build-push-action@v6#' \
  -e 's#appleboy/ssh-action@v0\.1\.10$#appleboy/ssh-action@v1#' $W
# Push the image, tagged latest and with the commit.
sed -i -e 's/^\( *\)push: false$/\1push: true/' \
  -e 's#^\( *\)tags: myname/ci-demo-web:latest$#\1tags: |\n\1  ${{ secrets.DOCKERHUB_USERNAME }}/ci-demo-web:latest\n\1  ${{ secrets.DOCKERHUB_USERNAME }}/ci-demo-web:${{ github.sha }}#' $W
