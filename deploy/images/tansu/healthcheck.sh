#!/bin/bash
# Healthy when the broker accepts a TCP connection on its listener (LISTENER_URL).
set -eu
address=${LISTENER_URL#*://}
host=${address%:*}
port=${address##*:}
case "$host" in 0.0.0.0 | "" | "[::]") host=127.0.0.1 ;; esac
exec 3<>"/dev/tcp/$host/$port"
