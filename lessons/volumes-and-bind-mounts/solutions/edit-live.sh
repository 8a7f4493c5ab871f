#!/bin/bash
set -euo pipefail
echo "<h1>version 2 of the site</h1>" > /root/site/index.html
