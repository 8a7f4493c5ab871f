#!/bin/bash
set -euo pipefail
curl -s --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' \
  -d '{"Image":"busybox","Cmd":["sh","-c","echo made through the API > /out/proof.txt"],"HostConfig":{"Binds":["/root:/out"]}}' \
  'http://localhost/containers/create?name=api-made'
curl -s --unix-socket /var/run/docker.sock -X POST http://localhost/containers/api-made/start
curl -s --unix-socket /var/run/docker.sock -X POST http://localhost/containers/api-made/wait
