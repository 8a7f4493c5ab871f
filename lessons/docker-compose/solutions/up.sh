#!/bin/bash
set -euo pipefail
cd /root/compose
# Fill in the skeleton's TODO: the volume, port and network of the docker run command.
sed -i 's|^    # TODO step 1:.*|    volumes:\n      - ./site:/www:ro\n    ports:\n      - "8086:80"\n    networks:\n      - labnet|' docker-compose.yml
docker-compose up -d
# Like checking by hand: wait until web answers on the published port.
for _ in $(seq 40); do curl -sf http://127.0.0.1:8086/ >/dev/null && break; sleep 0.25; done
