#!/bin/bash
# An ordinary user "student" (uid 1000) in the group "docker", as on many real hosts,
# and an engine socket that the docker group may use.
set -euo pipefail
groupadd -f docker
id student >/dev/null 2>&1 || useradd -m -u 1000 -s /bin/bash student
usermod -aG docker student
chmod 700 /root
# The docker command in the box needs no daemon; the Engine API socket comes from `dockyard daemon`,
# started here once. Then the socket is handed to the docker group, as on a typical host.
sock=/var/run/docker.sock
if ! curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
  # Where `docker` is Docker's own client, its first use starts the box's engine on this socket.
  docker version >/dev/null 2>&1 || true
  curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 ||
    setsid -f dockyard daemon --host "unix://$sock" </dev/null >/var/log/dockyard-daemon.log 2>&1
  for _ in $(seq 40); do curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break; sleep 0.25; done
fi
if [ -S "$sock" ]; then
  chgrp docker "$sock"
  chmod 660 "$sock"
else
  echo "setup: no engine socket at $sock" >&2
fi
