#!/bin/bash
set -euo pipefail
ip netns list | grep -qw red || ip netns add red
