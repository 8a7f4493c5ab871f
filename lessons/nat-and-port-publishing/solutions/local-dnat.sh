#!/bin/bash
set -euo pipefail
iptables -t nat -A OUTPUT -p tcp -d 198.51.100.1 --dport 8080 -j DNAT --to-destination 172.30.0.11:80
curl -s --max-time 3 http://198.51.100.1:8080/
