#!/bin/bash
set -euo pipefail
docker rmi mytools/busybox:1.0 mytools/busybox:latest
