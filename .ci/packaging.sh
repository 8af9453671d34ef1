#!/usr/bin/env bash
# Packaging checks, called by .ci/run after the Maven build (the service jar must exist; it is built
# here if not). Each step prints its time; the summary at the end lists them.
#   1. Docker engine + local JRE base image (.ci/lib), the image built from the Dockerfile
#      (--target image-host: the jars built on the host), its size;
#   2. the image run as CI would deploy it (read-only root, /tmp tmpfs, models volume, non-root):
#      cold start to ready, no ONNX Runtime or JavaCV library copied to /tmp, HEALTHCHECK script, a
#      real classification, clip recognition and segmentation, the Gatling smoke profiles, and the
#      Grafana dashboard's queries run against a real Prometheus scraping it, and the client SDK
#      examples (Java and TypeScript, .ci/clients-check.sh) against it;
#   3. helm lint/template/validate, k6 type check, docker-compose config;
#   4. the Testcontainers system tests (module src-test, profile system-tests) through the Java client
#      SDK (clients/java).
# Every check reads a file or a variable (never `producer | grep -q` under pipefail: grep -q exits at
# its first match and the producer dies of SIGPIPE); every port is checked free before use; every wait
# says what it waited for.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib/common.sh
IMAGE=${VISIONSERVE_IMAGE:-visionserve:ci}
PORT=${PACKAGING_PORT:-18080}
PROM_PORT=${PACKAGING_PROM_PORT:-19090}
# the containers run on the host network: their gRPC server must not take the image's 8081
GRPC_PORT=${PACKAGING_GRPC_PORT:-18081}
BASE=local/jre17:bookworm
COMPOSE_PROJECT=${PACKAGING_COMPOSE_PROJECT:-visionserve-ci}
COMPOSE_TAG=${PACKAGING_COMPOSE_TAG:-ci-compose}
export DOCKER_BUILDKIT=0   # no buildx on these machines: the legacy builder, stated explicitly
timings=()
t0=$(date +%s)
step() { local now; now=$(date +%s); timings+=("$(printf '%-34s %4d s' "$1" $((now - t0)))"); t0=$now; }
log() { echo "[packaging] $*"; }
container=visionserve-ci-$$
volume=visionserve-ci-models-$$
prom_pid=""
compose_up=""
cleanup() {
  [ -n "$compose_up" ] && VISIONSERVE_TAG=$COMPOSE_TAG docker-compose -p $COMPOSE_PROJECT down -v -t 5 >/dev/null 2>&1 || true
  docker rm -f "$container" >/dev/null 2>&1 || true
  docker volume rm "$volume" "$volume-init" >/dev/null 2>&1 || true
  [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null || true
  # Testcontainers runs without Ryuk here: remove whatever its tests left behind.
  local left
  left=$(docker ps -aq --filter label=org.testcontainers=true 2>/dev/null || true)
  [ -n "$left" ] && docker rm -f $left >/dev/null 2>&1 || true
}
trap cleanup EXIT

# ---- 1. engine, base image, image ----------------------------------------------------------------
missing=()
for tool in curl python3 node npm; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]/node/nodejs}" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]/node/nodejs}" >/dev/null; }
fi
require_free_port "$PORT" "the service under test (PACKAGING_PORT)"
require_free_port "$PROM_PORT" "Prometheus (PACKAGING_PROM_PORT)"
require_free_port "$GRPC_PORT" "the service's gRPC port (PACKAGING_GRPC_PORT)"
.ci/lib/start-docker.sh
step "docker engine"
.ci/lib/build-base-image.sh "$BASE"
step "base image $BASE"
if [ ! -f service/target/service-0.1.0-SNAPSHOT.jar ]; then
  ./mvnw -B -ntp -q -DskipTests package -pl service -am
  step "service jar"
fi
docker build -q --network host --build-arg BASE_IMAGE="$BASE" --target image-host -t "$IMAGE" . \
  > /tmp/packaging-build.log 2>&1 || { cat /tmp/packaging-build.log; log "docker build failed"; exit 1; }
size_mb=$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f", $1/1e6}')
base_mb=$(docker image inspect -f '{{.Size}}' "$BASE" | awk '{printf "%.0f", $1/1e6}')
log "image $IMAGE: ${size_mb} MB (base $BASE ${base_mb} MB)"
step "docker build"

# ---- 2. the image running: cold start, /tmp, health, a classification, dashboard queries ---------
docker volume create "$volume" >/dev/null
start=$(date +%s%N)
docker run -d --name "$container" --network host --read-only --tmpfs /tmp -v "$volume:/models" \
  -e SERVER_PORT="$PORT" -e VISIONSERVE_GRPC_PORT="$GRPC_PORT" "$IMAGE" >/dev/null
READY_URL="http://127.0.0.1:$PORT/actuator/health/readiness"
# shows the container's log and fails
container_failed() { docker logs "$container" > /tmp/packaging-container.log 2>&1 || true; tail -40 /tmp/packaging-container.log; log "$1"; exit 1; }
wait_http "$READY_URL" "image cold start (exports the six default models)" 420 "$container" \
  || container_failed "container did not become ready"
cold_ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "cold start to ready (first run: exports the six default models, loads and warms them up): ${cold_ms} ms"
docker stop -t 10 "$container" >/dev/null
# the stopped container must have released the port before the restart is timed
require_free_port "$PORT" "the service under test, after docker stop"
start=$(date +%s%N)
docker start "$container" >/dev/null
wait_http "$READY_URL" "image restart" 300 "$container" || container_failed "container did not become ready after a restart"
warm_ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "restart to ready (models already in the volume): ${warm_ms} ms"
# ORT's natives come from /opt/onnxruntime/lib, JavaCV's from /app/javacpp: nothing but (empty) folders
# and JavaCPP's links to /app/javacpp may appear in /tmp
tmp_check='find /tmp -type f -size +1M; find /tmp -name "*.so*" ! -type l'
big=$(docker exec "$container" sh -c "$tmp_check")
if [ -n "$big" ]; then log "native libraries were copied to /tmp: $big"; exit 1; fi
log "/tmp in the running container: $(docker exec "$container" du -sh /tmp | cut -f1), no native library copied"
docker exec "$container" /usr/local/bin/visionserve-healthcheck || { log "HEALTHCHECK script failed on a ready service"; exit 1; }
(exec 3<>"/dev/tcp/127.0.0.1/$GRPC_PORT") 2>/dev/null || { log "the gRPC server is not listening on $GRPC_PORT"; exit 1; }
[ "$(docker exec "$container" id -u)" = 10001 ] || { log "container does not run as uid 10001"; exit 1; }
if docker exec "$container" sh -c 'touch /app/x' 2>/dev/null; then log "root filesystem is writable"; exit 1; fi
# CUDA asked for on a machine without it: ORT opens its CUDA provider where it was unpacked (no copy to
# /tmp), fails on the missing CUDA libraries, and the model falls back to CPU as configured.
docker rm -f "$container" >/dev/null
require_free_port "$PORT" "the service under test, after docker rm"
docker run -d --name "$container" --network host --read-only --tmpfs /tmp -v "$volume:/models" \
  -e SERVER_PORT="$PORT" -e VISIONSERVE_GRPC_PORT="$GRPC_PORT" -e VISIONSERVE_MODELS_DEVICE=cuda -e VISIONSERVE_MODELS_CUDAFALLBACK=cpu "$IMAGE" >/dev/null
wait_http "$READY_URL" "image start with device=cuda on a machine without a GPU" 300 "$container" \
  || container_failed "container with device=cuda did not become ready"
docker logs "$container" > /tmp/packaging-cuda.log 2>&1
grep -q 'libonnxruntime_providers_cuda.so' /tmp/packaging-cuda.log || { tail -40 /tmp/packaging-cuda.log; log "CUDA provider was not tried"; exit 1; }
big=$(docker exec "$container" sh -c "$tmp_check")
[ -z "$big" ] || { log "CUDA attempt copied native libraries to /tmp: $big"; exit 1; }
out=$(curl -fsS "http://127.0.0.1:$PORT/v1/models/inception_next_tiny")
[[ $out == *'"device":"cpu"'* ]] || { log "model did not fall back to CPU: $out"; exit 1; }
log "device=cuda without a GPU: CUDA provider opened in place, nothing copied to /tmp, model on CPU"
out=$(curl -fsS -F file=@k6/data/chelsea.jpg "http://127.0.0.1:$PORT/v1/models/inception_next_tiny/classify?top_k=3")
[[ $out == *'"predictions":[{'* ]] || { log "unexpected classification: $out"; exit 1; }
log "classified k6/data/chelsea.jpg in the container: ${out:0:160}..."
# A real clip (FFmpeg decode, OpenCV Farneback flow, both ResNet-101 streams, the head) and a small
# four-modality NIfTI examination: JavaCV's natives load from the image, nothing lands in /tmp.
out=$(curl -fsS -F file=@k6/data/clip.mp4 "http://127.0.0.1:$PORT/v1/models/ts_lstm_ucf101/recognize?flow=farneback&top_k=3")
[[ $out == *'"frames":50'* && $out == *'"predictions":[{'* ]] || container_failed "unexpected recognition: $out"
log "recognized k6/data/clip.mp4 (50 frames, Farneback) in the container: ${out:0:120}..."
out=$(curl -fsS -F fat=@k6/data/spine_fat.nii.gz -F inn=@k6/data/spine_inn.nii.gz -F opp=@k6/data/spine_opp.nii.gz \
  -F wat=@k6/data/spine_wat.nii.gz "http://127.0.0.1:$PORT/v1/models/ivd_net/segment")
[[ $out == *'"shape":[8,96,96]'* ]] || { log "unexpected segmentation: $out"; exit 1; }
log "segmented k6/data/spine_*.nii.gz (8x96x96) in the container: ${out:0:120}..."
big=$(docker exec "$container" sh -c "$tmp_check")
[ -z "$big" ] || { log "the clip pipeline copied native libraries to /tmp: $big"; exit 1; }
log "/tmp after a clip: $(docker exec "$container" du -sh /tmp | cut -f1), no native library copied"
step "image run checks"

.ci/lib/start-prometheus.sh "127.0.0.1:$PORT" "$PROM_PORT" > /tmp/packaging-prometheus.out
read -r prom_pid prom_dir < /tmp/packaging-prometheus.out
[ -n "${prom_pid:-}" ] || { log "Prometheus did not start"; exit 1; }
step "prometheus"
# The Gatling smoke profile (the k6 scenario) against the container; its traffic feeds the dashboard check.
# Correctness only (every check and under 1 % failures): latency is for benchmarks, not CI (p95Ms=0).
./mvnw -B -ntp -q -f load-test gatling:test -Dprofile=smoke -Dduration=10 -Dp95Ms=0 \
  -DbaseUrl="http://127.0.0.1:$PORT" > /tmp/gatling-smoke.log 2>&1 || { tail -60 /tmp/gatling-smoke.log; exit 1; }
grep -E '^(classify|Global).*: (true|false)' /tmp/gatling-smoke.log
step "gatling smoke (10 s)"
# The clip and segmentation scenarios (k6/clip.js, k6/segmentation.js), 10 s each.
for sim in ClipSimulation SegmentationSimulation; do
  ./mvnw -B -ntp -q -f load-test gatling:test -Dsimulation=$sim -Dprofile=smoke -Dduration=10 -Dp95Ms=0 \
    -DbaseUrl="http://127.0.0.1:$PORT" > /tmp/gatling-smoke-$sim.log 2>&1 || { tail -60 /tmp/gatling-smoke-$sim.log; exit 1; }
  grep -E '^(recognize|segment|Global).*: (true|false)' /tmp/gatling-smoke-$sim.log
  step "gatling smoke $sim (10 s)"
done
# The dashboard check needs the last Gatling requests scraped: wait until Prometheus has a sample of them.
wait_prom_series() {
  local q='visionserve_requests_total{model="inception_next_tiny"}' i
  for i in $(seq 1 60); do
    curl -fsS -o /tmp/packaging-prom-query.json "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$q" 2>/dev/null \
      && grep -q '"value"' /tmp/packaging-prom-query.json && { log "Prometheus has scraped the smoke traffic ($i tries)"; return 0; }
    sleep 0.5
  done
  log "Prometheus did not scrape the smoke traffic within 30 s: $(cat /tmp/packaging-prom-query.json 2>/dev/null)"; return 1
}
wait_prom_series
python3 .ci/check-dashboard.py deploy/grafana/dashboards/visionserve.json "http://127.0.0.1:$PROM_PORT" \
  --expect-data inception_next_tiny
kill "$prom_pid"; prom_pid=""; rm -rf "$prom_dir"
step "dashboard queries on Prometheus"
.ci/clients-check.sh "http://127.0.0.1:$PORT"
step "client SDKs (Java, TypeScript)"
docker rm -f "$container" >/dev/null

# ---- 3. chart, k6, compose ------------------------------------------------------------------------
.ci/helm-check.sh
# the KServe ServingRuntime and InferenceService of deploy/kserve (structure, Kubernetes parts, ports)
.ci/kserve-check.sh
step "helm lint/template/validate, KServe manifests"
# The chart's exporter init container, run with the CI image as Kubernetes would (read-only root,
# /tmp and the model volume writable, uid 10001): exports the six default models, then finds them on a rerun.
helm template ci helm/visionserve --show-only templates/deployment.yaml \
  > /tmp/packaging-deployment.yaml
NODE_PATH="${K8S_VALIDATE_HOME:-/tmp/k8s-validate}/node_modules" node -e '
  const d = require("yaml").parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const c = d.spec.template.spec.initContainers[0];
  process.stdout.write(c.args[0]);' /tmp/packaging-deployment.yaml > /tmp/packaging-init.sh
docker volume create "$volume-init" >/dev/null
for run in 1 2; do
  docker run --rm --read-only --tmpfs /tmp -v "$volume-init:/models" -v /tmp/packaging-init.sh:/init.sh:ro \
    -e MODELS_DIR=/models -e JAVA_OPTS="-XX:MaxRAMPercentage=75" --entrypoint /bin/sh "$IMAGE" /init.sh \
    > "/tmp/packaging-init.$run.log" 2>&1 || { cat "/tmp/packaging-init.$run.log"; exit 1; }
done
docker volume rm "$volume-init" >/dev/null
wrote=$(grep -c '^wrote ' /tmp/packaging-init.1.log || true)
skipped=$(grep -c 'already in' /tmp/packaging-init.2.log || true)
[ "$wrote" = 6 ] && [ "$skipped" = 6 ] \
  || { cat /tmp/packaging-init.*.log; log "chart init container: wrote $wrote and skipped $skipped models, expected 6 and 6"; exit 1; }
log "chart init container: exported the 6 default models into an empty volume, skipped them on the rerun"
step "chart init container in the image"
.ci/k6-check.sh
step "k6 type check"
command -v docker-compose >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose >/dev/null
docker-compose config -q
docker-compose --profile gpu config -q
log "docker-compose config: ok ($(docker-compose version --short))"
# The compose service itself, built and run as compose defines it (read-only, tmpfs, volume, host
# network); Prometheus' and Grafana's images cannot be pulled here (their config is checked above,
# the dashboard's queries in step 2).
export COMPOSE_DOCKER_CLI_BUILD=0
BASE_IMAGE="$BASE" JARS_TARGET=image-host VISIONSERVE_TAG=$COMPOSE_TAG docker-compose -p $COMPOSE_PROJECT build -q visionserve
require_free_port "$PORT" "the docker-compose service"
VISIONSERVE_PORT="$PORT" VISIONSERVE_GRPC_PORT="$GRPC_PORT" VISIONSERVE_TAG=$COMPOSE_TAG docker-compose -p $COMPOSE_PROJECT up -d visionserve
compose_up=1
wait_http "$READY_URL" "the docker-compose service" 420 \
  || { docker-compose -p $COMPOSE_PROJECT logs --tail 40 visionserve; log "compose service not ready"; exit 1; }
VISIONSERVE_TAG=$COMPOSE_TAG docker-compose -p $COMPOSE_PROJECT down -v -t 5 >/dev/null 2>&1; compose_up=""
log "docker-compose build + up of the service: ready"
step "docker-compose config + service up"

# ---- 4. system tests -------------------------------------------------------------------------------
if [ -f src-test/pom.xml ]; then
  ./mvnw -B -ntp -P system-tests -pl src-test -am verify
  step "system tests (Testcontainers)"
fi

echo "[packaging] image ${size_mb} MB, cold start ${cold_ms} ms, restart ${warm_ms} ms; step times:"
printf '  %s\n' "${timings[@]}"
