#!/bin/sh
# Turns every pages/*.txt into an HTML page, writes an index and checksums. Output directory: $1.
set -e
out=${1:-/out}
mkdir -p "$out"
{
  echo "<h1>Multi-stage site</h1><ul>"
  for f in pages/*.txt; do
    name=$(basename "$f" .txt)
    { echo "<h1>$name</h1><p>"; sed 's/&/\&amp;/g; s/</\&lt;/g' "$f"; echo "</p>"; } > "$out/$name.html"
    echo "<li><a href=\"$name.html\">$name</a></li>"
  done
  echo "</ul><p>built on $(. /etc/os-release && echo "$PRETTY_NAME")</p>"
} > "$out/index.html"
(cd "$out" && sha256sum ./*.html > SHA256SUMS)
