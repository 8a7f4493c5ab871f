#!/bin/bash
set -euo pipefail
docker start life
