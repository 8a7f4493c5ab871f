#!/bin/bash
set -euo pipefail
docker run --name box01 busybox sh -c 'mkdir -p /data/html && echo "Busybox Server." > /data/html/index.html'
docker commit -a "student@example.com" -c 'CMD ["httpd","-f","-h","/data/html"]' box01 mytools/httpd:v0.1
docker run -d --name box-web -p 8089:80 mytools/httpd:v0.1
sleep 1
