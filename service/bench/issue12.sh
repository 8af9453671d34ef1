#!/usr/bin/env bash
# Issue 12's whole table in one command (about 17 minutes on the 2-core CI machine, 150 s of it warm-up):
#   1. throughput.sh: the raw ONNX Runtime limit of inception_next_tiny (best of batch 1/4/8/16, two
#      thread layouts) and the service at 1, 4, 16 and 64 clients (images/s, p50/p95/p99, errors, batch
#      sizes, decode+preprocess), then the ratio at 16 clients and p50 at 1 client minus the raw p50;
#   2. pipelines.sh: clips (recognize, Farneback) and volumes (segment) at 1 and 4 clients.
# The load average is printed before and after each part: read a ratio only with the load it ran under.
# Usage (repository root): service/bench/issue12.sh   (builds the jar first unless BENCH_NO_BUILD=1)
# Env: SECONDS_PER_LEVEL (15), RAW_SECONDS (8), CLIPS_PER_CLIENT (2), BENCH_SERVICE_ARGS (both services).
set -euo pipefail
cd "$(dirname "$0")/../.."
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u +%H:%M:%S) UTC)"; }
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  ./mvnw -q -B -ntp -pl service -am -DskipTests package
fi
echo "## images: inception_next_tiny"
load
RAW_SECONDS=${RAW_SECONDS:-8} service/bench/throughput.sh "${SECONDS_PER_LEVEL:-15}"
load
echo
echo "## clips and volumes"
service/bench/pipelines.sh "${CLIPS_PER_CLIENT:-2}"
load
