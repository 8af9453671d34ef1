#!/usr/bin/env bash
# Measures service start-up: JVM launch -> port open (liveness 200) -> readiness 200 (models loaded
# and warmed up). Usage: service/bench/startup.sh [MODELS_DIR] [PORT]  (from the repository root,
# after mvn -q -DskipTests package). An empty or missing MODELS_DIR measures the first run, which
# exports the default model with seeded demo weights first.
set -euo pipefail
models=${1:-./models}
port=${2:-18081}
jar=service/target/service-0.1.0-SNAPSHOT.jar
log=$(mktemp)
t0=$(date +%s.%N)
java -jar "$jar" --server.port="$port" --visionserve.grpc.port=0 --visionserve.models.dir="$models" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
live=""
until [ -n "$live" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/actuator/health/readiness"; do
  if [ -z "$live" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/actuator/health/liveness"; then
    live=$(date +%s.%N)
  fi
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "service exited" >&2; exit 1; }
  sleep 0.05
done
t2=$(date +%s.%N)
# The native libraries ONNX Runtime unpacked and loaded (the CUDA provider alone would be ~316 MB).
libs=$(grep -o '/tmp/onnxruntime-java[^ ]*\.so' /proc/$pid/maps | sort -u || true)
printf 'port open (liveness UP): %.2f s\nready (readiness UP):    %.2f s\n' \
  "$(echo "$live - $t0" | bc)" "$(echo "$t2 - $t0" | bc)"
grep -E "Started VisionServeApplication|ready on|exported|models ready" "$log" | sed 's/^.*: //'
echo "ONNX Runtime libraries loaded from /tmp:"
for l in $libs; do printf '  %s (%s kB)\n' "$(basename "$l")" "$(du -k "$l" | cut -f1)"; done
