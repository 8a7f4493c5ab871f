#!/bin/bash
set -euo pipefail
gpasswd -d student docker
