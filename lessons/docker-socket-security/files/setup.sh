#!/bin/bash
# An ordinary user "student" (uid 1000) in the group "docker", as on many real hosts,
# and an engine socket that the docker group may use.
set -euo pipefail
groupadd -f docker
id student >/dev/null 2>&1 || useradd -m -u 1000 -s /bin/bash student
usermod -aG docker student
chmod 700 /root
# The engine starts on first use; make sure its socket exists, then hand it to the docker group.
docker version >/dev/null 2>&1 || true
sock=/var/run/docker.sock
if [ -S "$sock" ]; then
  chgrp docker "$sock"
  chmod 660 "$sock"
else
  echo "setup: no engine socket at $sock" >&2
fi
