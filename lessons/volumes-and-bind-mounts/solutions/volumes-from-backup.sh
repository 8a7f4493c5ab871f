#!/bin/bash
set -euo pipefail
docker create --name datastore -v /dbdata busybox
docker run --rm --volumes-from datastore busybox sh -c 'echo important > /dbdata/records.txt'
docker run -d --name app --volumes-from datastore busybox sleep 3600
mkdir -p /root/backup
docker run --rm --volumes-from datastore -v /root/backup:/backup busybox tar cf /backup/dbdata.tar /dbdata
