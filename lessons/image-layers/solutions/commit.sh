#!/bin/bash
set -euo pipefail
docker commit layers myweb:v1
