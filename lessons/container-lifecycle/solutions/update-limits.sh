#!/bin/bash
set -euo pipefail
docker update --memory 64m --memory-swap 128m life
