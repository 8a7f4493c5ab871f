#!/bin/bash
set -euo pipefail
docker volume create dbdata
docker run --rm -v dbdata:/dbdata busybox sh -c 'echo important > /dbdata/records.txt'
docker run -d --name app -v dbdata:/dbdata busybox sleep 3600
mkdir -p /root/backup
docker run --rm -v dbdata:/dbdata -v /root/backup:/backup busybox tar cf /backup/dbdata.tar /dbdata
