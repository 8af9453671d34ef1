#!/usr/bin/env bash
# Raw ONNX Runtime vs service HTTP latency at batch 1, and throughput at 1/4/16 clients.
# Usage (from the repository root): service/bench/run-benchmark.sh [rounds=30] [seconds=20] [model]
set -euo pipefail
mvn -q -B -pl service -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt
exec java -Xmx2g ${BENCH_JAVA_OPTS:-} \
    -cp "service/target/test-classes:service/target/classes:$(cat service/target/test-classpath.txt)" \
    org.visionserve.service.bench.LatencyBenchmark "$@"
