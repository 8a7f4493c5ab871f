#!/bin/bash
set -euo pipefail
curl -s --unix-socket /var/run/docker.sock http://localhost/version > /root/version.json
