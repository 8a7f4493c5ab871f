#!/bin/bash
set -euo pipefail
if ! pgrep -xf 'sleep 10401' >/dev/null; then
  setsid -f unshare -p -f --mount-proc sleep 10401 </dev/null >/dev/null 2>&1
  sleep 0.5
fi
P=$(pgrep -xf 'sleep 10401' | head -1)
kill -TERM "$P"
sleep 1
ps -o pid=,cmd= -p "$P" > /root/after-term.txt
kill -KILL "$P"
sleep 0.5
