#!/bin/bash
# A small static site for the -v/-p step.
set -euo pipefail
mkdir -p /root/site
echo "<h1>Welcome to the run-options lab</h1>" > /root/site/index.html
