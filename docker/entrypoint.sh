#!/bin/sh
# Starts the service. JAVA_OPTS holds the tunable JVM flags (memory, GC); the ORT natives path and a
# temp dir under /tmp (the only writable place besides the models dir) are always set.
set -eu
# the class-data-sharing archive made at build time (docker/appcds.sh), when there is one
cds=""
[ -f /app/app.jsa ] && cds="-XX:SharedArchiveFile=/app/app.jsa"
# shellcheck disable=SC2086
exec java $JAVA_OPTS $cds -Djava.io.tmpdir=/tmp -Donnxruntime.native.path="$ORT_NATIVE_PATH" \
  -jar /app/service.jar "$@"
