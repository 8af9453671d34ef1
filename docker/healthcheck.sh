#!/bin/bash
# Docker HEALTHCHECK: healthy when /actuator/health/readiness answers 200, on the management port (open
# there without a credential). Plain bash over /dev/tcp, so the image needs no curl or wget.
exec 3<>"/dev/tcp/127.0.0.1/${MANAGEMENT_SERVER_PORT:-${SERVER_PORT:-8080}}" || exit 1
printf 'GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 3 _ status _ <&3 || exit 1
[ "$status" = 200 ]
