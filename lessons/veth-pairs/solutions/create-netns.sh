#!/bin/bash
set -euo pipefail
ip netns add red
ip netns add blue
