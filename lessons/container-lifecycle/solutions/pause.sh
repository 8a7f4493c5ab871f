#!/bin/bash
set -euo pipefail
docker pause life
