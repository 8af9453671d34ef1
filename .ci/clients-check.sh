#!/usr/bin/env bash
# The client SDKs, as a user installs them, against a running service at BASE_URL:
#   1. the Java client installed into the local Maven repository (./mvnw install -pl clients/java), then
#      clients/java/example built against it by its coordinates and run;
#   2. the TypeScript package built (sources generated from docs/openapi.json) and packed, the tarball
#      installed into clients/typescript/example, which is compiled and run.
# Each example classifies an image, recognises a clip (Farneback), segments a NIfTI examination and
# decodes a problem+json error, prints what each call returned and exits non-zero when an answer is not
# as expected. Outputs go to files under CLIENTS_CHECK_OUT (default /tmp/clients-check), checked there.
# Needs Java 17, Node 18+ and npm; Maven Central and the npm registry on first use.
# usage: .ci/clients-check.sh BASE_URL
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: .ci/clients-check.sh BASE_URL}
out=${CLIENTS_CHECK_OUT:-/tmp/clients-check}
rm -rf "$out"
mkdir -p "$out"
log() { echo "[clients-check] $*"; }
# run NAME DIR COMMAND...: runs COMMAND in DIR with its output in $out/NAME.log; on failure shows the log
run() {
  local name=$1 dir=$2
  shift 2
  if ! (cd "$dir" && "$@") > "$out/$name.log" 2>&1; then
    tail -60 "$out/$name.log"
    log "$name failed (log: $out/$name.log)"
    exit 1
  fi
}
# expect NAME: the example's log has a line for each call and its closing OK line
expect() {
  local name=$1 line
  for line in '^classify chelsea.jpg ' '^recognize clip.mp4 .*flow farneback' '^segment .*shape \[8, ?96, ?96\]' \
              '^error GET /v1/models/no_such_model: 404 .*code unknown-model' '^OK: '; do
    grep -Eq "$line" "$out/$name.log" || { cat "$out/$name.log"; log "$name: no line matching '$line'"; exit 1; }
  done
}

log "Java client: ./mvnw install -pl clients/java"
run java-install . ./mvnw -B -ntp -q install -pl clients/java
log "Java example against $base"
run java-example clients/java/example ../../../mvnw -B -ntp -q compile exec:java -Dexec.args="$base"
cat "$out/java-example.log"
expect java-example

version=$(node -p "require('./clients/typescript/package.json').version")
tarball=visionserve-client-$version.tgz
log "TypeScript client: npm ci, npm pack -> clients/typescript/$tarball"
rm -f "clients/typescript/$tarball"
run ts-pack clients/typescript sh -c 'npm ci --no-audit --no-fund && npm pack'
[ -f "clients/typescript/$tarball" ] || { cat "$out/ts-pack.log"; log "npm pack made no $tarball"; exit 1; }
log "TypeScript example (the tarball installed) against $base"
run ts-install clients/typescript/example sh -c 'rm -rf node_modules dist && npm install --no-audit --no-fund && npm run build'
run ts-example clients/typescript/example node dist/main.js "$base"
cat "$out/ts-example.log"
expect ts-example
log "Java and TypeScript clients: all four calls answered as expected"
