#!/usr/bin/env bash
# Soak (issue 11, "Measure and report"): N mixed good and hostile requests (every input class of the
# issue: good images, batches, clips and volumes, aspect-ratio bombs, huge dimensions, corrupt and
# truncated inputs, malformed requests) from C concurrent clients against the service jar started as
# the image runs it (-Xmx2g -XX:+ExitOnOutOfMemoryError) plus native memory tracking. The load
# generator (bench/Soak.java, test sources) runs in its own JVM; it prints Markdown tables: statuses,
# unexpected statuses and latency per class, and RSS / NMT at the start, middle and end.
# Usage (repository root, after ./mvnw -DskipTests package): service/bench/soak.sh [requests=10000] [clients=16]
# SOAK_MODELS: model repository (default service/target/it/models, the ITs'; exported there when missing)
# SOAK_SERVICE_ARGS: more service options.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib/common.sh
REQUESTS=${1:-10000}
CLIENTS=${2:-16}
PORT=${SOAK_PORT:-18281}
MODELS_DIR=${SOAK_MODELS:-service/target/it/models}
MODELS=inception_next_atto,resnet101_rgb,resnet101_flow,ts_lstm_ucf101,ivd_net
require_free_port "$PORT" "the soaked service (SOAK_PORT)"
work=$(mktemp -d /tmp/vs-soak.XXXXXX)
mkdir -p "$work/tmp" "$MODELS_DIR"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

./mvnw -q -B -ntp -pl service -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

java -Xmx2g -XX:+ExitOnOutOfMemoryError -XX:NativeMemoryTracking=summary -Djava.io.tmpdir="$work/tmp" \
  -jar service/target/service-0.1.0-SNAPSHOT.jar --server.port="$PORT" --visionserve.grpc.port=0 \
  --visionserve.models.dir="$(realpath "$MODELS_DIR")" --visionserve.models.defaults="$MODELS" \
  --visionserve.runtime.intra-op-threads=2 --logging.level.root=WARN ${SOAK_SERVICE_ARGS:-} > "$work/service.log" 2>&1 &
pid=$!
wait_http "http://127.0.0.1:$PORT/actuator/health/readiness" "the service" 900 || { tail -30 "$work/service.log"; exit 1; }

status=0
java -Xmx1g -cp "service/target/test-classes:service/target/classes:$(cat service/target/test-classpath.txt)" \
  org.visionserve.service.bench.Soak "$PORT" "$pid" "$REQUESTS" "$CLIENTS" "$work/soak.md" || status=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "the service exited during the soak; its log ends:"; tail -20 "$work/service.log"; status=1
fi
echo "service log: $(grep -c ' ERROR ' "$work/service.log" || true) ERROR lines"
exit $status
