#!/bin/bash
set -euo pipefail
# The program is the one the lesson text shows; the box has it at /opt/lesson/files/ns_clone.c.
mkdir -p /root/clone
cp /opt/lesson/files/ns_clone.c /root/clone/ns_clone.c
gcc -Wall -o /root/clone/ns_clone /root/clone/ns_clone.c
