#!/bin/bash
set -euo pipefail
umount /root/union/merged
