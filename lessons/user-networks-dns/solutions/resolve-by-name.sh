#!/bin/bash
set -euo pipefail
sleep 1
docker exec app2 wget -qO /tmp/from-app1.html http://app1/
