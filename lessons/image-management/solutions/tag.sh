#!/bin/bash
set -euo pipefail
docker tag busybox mytools/busybox:1.0
docker tag busybox mytools/busybox:latest
