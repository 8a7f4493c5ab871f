#!/bin/bash
set -euo pipefail
docker load -i /root/images/tools.tar
