#!/usr/bin/env bash
# Lints the Helm chart and validates what it renders with every value set in helm/ci-values/,
# offline, against the Kubernetes schemas (+ ServiceMonitor) and a strict unknown-field pass.
set -euo pipefail
cd "$(dirname "$0")/.."
chart=helm/visionserve
out=$(mktemp -d /tmp/helm-check.XXXXXX)
trap 'rm -rf "$out"' EXIT

.ci/lib/install-helm.sh >/dev/null
helm lint --strict "$chart"
rendered=()
for values in helm/ci-values/*.yaml; do
  name=$(basename "$values" .yaml)
  helm lint --strict "$chart" -f "$values" >/dev/null
  helm template "ci-$name" "$chart" --namespace ci -f "$values" > "$out/$name.yaml"
  echo "[helm-check] $name: $(grep -c '^kind:' "$out/$name.yaml") manifests ($(grep '^kind:' "$out/$name.yaml" | awk '{print $2}' | sort | tr '\n' ' '))"
  rendered+=("$out/$name.yaml")
done
# The schema must refuse what it is there to refuse.
if helm template bad "$chart" --set gpu.enabled=yes >/dev/null 2>&1; then
  echo "[helm-check] values.schema.json accepted gpu.enabled=yes" >&2; exit 1
fi
# The removed autoscaling.queueDepth fails, saying where it went.
if helm template old "$chart" --set autoscaling.queueDepth.enabled=true > "$out/old.txt" 2>&1 \
    || ! grep -q "autoscaling.queueDepth is now autoscaling.backlog" "$out/old.txt"; then
  echo "[helm-check] autoscaling.queueDepth did not fail with its replacement:" >&2; cat "$out/old.txt" >&2; exit 1
fi
# Several replicas share operations through Redis: the store and its URL from the Secret.
grep -q 'name: VISIONSERVE_OPERATIONS_STORE' "$out/autoscaling-monitoring.yaml" \
  && grep -q 'name: "visionserve-redis"' "$out/autoscaling-monitoring.yaml" \
  || { echo "[helm-check] autoscaling-monitoring does not set the Redis operation store" >&2; exit 1; }
if helm template bad "$chart" --set operations.redis.url=http://redis:6379 >/dev/null 2>&1; then
  echo "[helm-check] values.schema.json accepted operations.redis.url=http://..." >&2; exit 1
fi
# The autoscaler's backlog metric as the Prometheus adapter serves it (deploy/prometheus-adapter).
grep -q 'name: visionserve_backlog$' "$out/autoscaling-monitoring.yaml" \
  || { echo "[helm-check] the HPA of autoscaling-monitoring does not scale on visionserve_backlog" >&2; exit 1; }
# gRPC (the Open Inference Protocol) on 8081 of the pod and the Service by default; off, neither has it.
grep -q 'appProtocol: kubernetes.io/h2c' "$out/default.yaml" && grep -q 'containerPort: 8081' "$out/default.yaml" \
  || { echo "[helm-check] the default render lacks the gRPC port 8081" >&2; exit 1; }
if grep -q 'name: grpc$' "$out/existing-claim.yaml"; then
  echo "[helm-check] grpc.enabled=false still renders a grpc port" >&2; exit 1
fi
.ci/check-adapter-rules.sh
.ci/lib/validate-k8s.sh "${rendered[@]}"
