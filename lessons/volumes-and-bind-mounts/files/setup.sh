#!/bin/bash
# The site that the bind-mount steps serve.
set -euo pipefail
mkdir -p /root/site
echo "<h1>version 1 of the site</h1>" > /root/site/index.html
