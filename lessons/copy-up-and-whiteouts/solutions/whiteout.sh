#!/bin/bash
set -euo pipefail
rm /root/cow/merged/data/a
