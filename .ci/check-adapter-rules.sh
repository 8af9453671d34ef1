#!/usr/bin/env bash
# Evaluates the Prometheus adapter rule of deploy/prometheus-adapter/values.yaml (the pods metric the
# chart's autoscaler scales on) with promtool on sample series, as the adapter would query it for two
# pods: per pod, the requests waiting for admission (every pool) plus those waiting for a runner;
# other namespaces' pods, other metrics and other pods left out; a pod with no model loaded yet
# (no visionserve_queue_depth) still answered.
# usage: .ci/check-adapter-rules.sh            (needs promtool: Debian's prometheus package)
set -euo pipefail
cd "$(dirname "$0")/.."
values=deploy/prometheus-adapter/values.yaml
log() { echo "[adapter-rules] $*"; }

if ! command -v promtool >/dev/null 2>&1; then
  log "installing Debian's prometheus for promtool"
  { apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends prometheus >/dev/null; }; } \
    || { log "apt-get install prometheus failed"; exit 1; }
fi

query=$(sed -n "s/^ *metricsQuery: '\(.*\)'$/\1/p" "$values")
[ "$(printf '%s\n' "$query" | grep -c .)" = 1 ] || { log "expected one single-quoted metricsQuery in $values"; exit 1; }
grep -q 'as: visionserve_backlog$' "$values" || { log "$values does not name the metric visionserve_backlog"; exit 1; }
# what the adapter puts in for a pods metric of pods vs-a and vs-b in namespace ci
expr=${query//'<<.GroupBy>>'/pod}
expr=${expr//'<<.LabelMatchers>>'/namespace=\"ci\",pod=~\"vs-a|vs-b\"}

dir=$(mktemp -d /tmp/adapter-rules.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/test.yaml" <<YAML
rule_files: []
tests:
  - interval: 1m
    input_series:
      - series: 'visionserve_admission_waiting{namespace="ci",pod="vs-a",pool="inception_next_tiny"}'
        values: '3'
      - series: 'visionserve_admission_waiting{namespace="ci",pod="vs-a",pool="pipeline/clips"}'
        values: '1'
      - series: 'visionserve_queue_depth{namespace="ci",pod="vs-a",model="inception_next_tiny"}'
        values: '2'
      - series: 'visionserve_queue_depth{namespace="ci",pod="vs-a",model="resnet101_rgb"}'
        values: '1'
      - series: 'visionserve_admission_active{namespace="ci",pod="vs-a",pool="inception_next_tiny"}'
        values: '10'
      - series: 'visionserve_admission_waiting{namespace="ci",pod="vs-b",pool="pipeline/volumes"}'
        values: '2'
      - series: 'visionserve_admission_waiting{namespace="other",pod="vs-a",pool="inception_next_tiny"}'
        values: '50'
      - series: 'visionserve_queue_depth{namespace="ci",pod="vs-c",model="inception_next_tiny"}'
        values: '50'
    promql_expr_test:
      - expr: '$expr'
        eval_time: 0m
        exp_samples:
          - labels: '{pod="vs-a"}'
            value: 7
          - labels: '{pod="vs-b"}'
            value: 2
YAML
promtool test rules "$dir/test.yaml" >/dev/null || { promtool test rules "$dir/test.yaml" || true; log "FAIL: $expr"; exit 1; }
log "ok: $expr"
