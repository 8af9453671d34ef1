#!/usr/bin/env bash
# Writes the service's OpenAPI document to OUT: starts the service jar on a free port with an empty
# model folder (no export, no models: only the API description is wanted), reads /v3/api-docs, stops it.
# usage: fetch-openapi.sh SERVICE_JAR OUT
set -euo pipefail
jar=$1 out=$2
[ -f "$jar" ] || { echo "fetch-openapi: $jar is missing; build it first: ./mvnw -DskipTests package -pl service -am" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d /tmp/fetch-openapi.XXXXXX)
java -Xmx512m -jar "$jar" --server.port=0 --visionserve.models.dir="$tmp/models" \
  --visionserve.models.export-defaults=false > "$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*Tomcat started on port \([0-9]*\).*/\1/p' "$tmp/log" | head -n1)
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || { cat "$tmp/log" >&2; exit 1; }
  sleep 0.2
done
[ -n "$port" ] || { tail -30 "$tmp/log" >&2; echo "fetch-openapi: the service did not start" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/v3/api-docs" -o "$out"
echo "fetch-openapi: $(wc -c < "$out") bytes from the service on port $port -> $out"
