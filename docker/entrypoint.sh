#!/bin/sh
# Starts the service. JAVA_OPTS holds the tunable JVM flags (memory, GC); the ORT natives path and a
# temp dir under /tmp (the only writable place besides the models dir) are always set.
set -eu
# Authentication is on in the image: VISIONSERVE_SECURITY_APIKEYSFILE names the keys file (mount one, e.g.
# from a Kubernetes Secret). When none is mounted there, two keys are generated into /tmp (readable with
# `docker exec CONTAINER cat /tmp/visionserve/api-keys`; never printed). Set the variable empty to run
# without authentication (or configure a JWT issuer and set it empty for JWTs only).
keys=${VISIONSERVE_SECURITY_APIKEYSFILE:-}
if [ -n "$keys" ] && [ ! -e "$keys" ]; then
  gen=/tmp/visionserve/api-keys
  if [ ! -f "$gen" ]; then
    mkdir -p /tmp/visionserve && chmod 700 /tmp/visionserve
    hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    umask 077
    printf '# generated at first start: no keys file at %s\nadmin %s admin\ninfer %s infer\n' \
      "$keys" "$(hex)" "$(hex)" > "$gen"
  fi
  echo "visionserve: no API keys file at $keys: generated keys in $gen (read them with: docker exec <container> cat $gen)" >&2
  export VISIONSERVE_SECURITY_APIKEYSFILE="$gen"
fi
# the class-data-sharing archive made at build time (docker/appcds.sh), when there is one
cds=""
[ -f /app/app.jsa ] && cds="-XX:SharedArchiveFile=/app/app.jsa"
# shellcheck disable=SC2086
exec java $JAVA_OPTS $cds -Djava.io.tmpdir=/tmp -Donnxruntime.native.path="$ORT_NATIVE_PATH" \
  -jar /app/service.jar "$@"
