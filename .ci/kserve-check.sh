#!/usr/bin/env bash
# Validates the KServe manifests of deploy/kserve offline (no cluster; KServe's CRDs ship in no npm or
# Maven package, so their schema is not at hand):
#   1. structure: every field used is one of KServe's (ServingRuntime v1alpha1, InferenceService
#      v1beta1: the fields of their CRDs that these manifests may use, with types, enums and required
#      ones, transcribed below); unknown or misspelt fields fail;
#   2. the Kubernetes parts (the runtime's containers and volumes, the predictor's resources) as a Pod
#      through .ci/lib/validate-k8s.sh: Kubernetes' schemas plus its strict unknown-field pass;
#   3. consistency with the service: REST on 8080 and gRPC on 8081 (application.yaml's defaults and the
#      Dockerfile's EXPOSE), the models read from KServe's /mnt/models, protocol v2 and grpc-v2, the
#      InferenceService's runtime and model format among the runtime's.
# usage: .ci/kserve-check.sh        (needs node and npm, as validate-k8s.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/kserve
home=${K8S_VALIDATE_HOME:-/tmp/k8s-validate}
tmp=$(mktemp -d /tmp/kserve-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
log() { echo "[kserve-check] $*"; }

# validate-k8s.sh installs the npm packages (yaml, kubernetes-models) this check reads the manifests with
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n' | .ci/lib/validate-k8s.sh - >/dev/null

cat > "$home/kserve-check.mjs" <<'EOF'
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [runtimeFile, isvcFile, appYaml, dockerfile, podOut] = process.argv.slice(2);
const errors = [];
const fail = (m) => errors.push(m);

// Field specs: {type, required?, fields? (object: allowed keys), of? (array items), enum?, open? (free map)}
const str = { type: 'string' }, int = { type: 'integer' }, bool = { type: 'boolean' };
const strMap = { type: 'object', open: true, values: str };
const k8s = { type: 'object', open: true };   // checked by validate-k8s.sh as part of a Pod
const metadata = { type: 'object', required: ['name'], fields: {
  name: str, namespace: str, labels: strMap, annotations: strMap } };
const modelFormat = { type: 'object', required: ['name'], fields: {
  name: str, version: str, autoSelect: bool, priority: int } };
const protocol = { type: 'string', enum: ['v1', 'v2', 'grpc-v1', 'grpc-v2'] };
const servingRuntime = { type: 'object', required: ['apiVersion', 'kind', 'metadata', 'spec'], fields: {
  apiVersion: { type: 'string', enum: ['serving.kserve.io/v1alpha1'] },
  kind: { type: 'string', enum: ['ServingRuntime', 'ClusterServingRuntime'] },
  metadata,
  spec: { type: 'object', required: ['containers'], fields: {
    annotations: strMap, labels: strMap, disabled: bool, multiModel: bool,
    supportedModelFormats: { type: 'array', of: modelFormat },
    protocolVersions: { type: 'array', of: protocol },
    grpcEndpoint: str, grpcDataEndpoint: str, httpDataEndpoint: str, replicas: int,
    containers: { type: 'array', of: k8s }, volumes: { type: 'array', of: k8s },
    nodeSelector: strMap, tolerations: { type: 'array', of: k8s }, affinity: k8s,
    imagePullSecrets: { type: 'array', of: k8s }, storageHelper: { type: 'object', fields: { disabled: bool } } } } } };
const inferenceService = { type: 'object', required: ['apiVersion', 'kind', 'metadata', 'spec'], fields: {
  apiVersion: { type: 'string', enum: ['serving.kserve.io/v1beta1'] },
  kind: { type: 'string', enum: ['InferenceService'] },
  metadata,
  spec: { type: 'object', required: ['predictor'], fields: {
    predictor: { type: 'object', fields: {
      minReplicas: int, maxReplicas: int, scaleTarget: int,
      scaleMetric: { type: 'string', enum: ['cpu', 'memory', 'concurrency', 'rps'] },
      containerConcurrency: int, timeout: int, serviceAccountName: str, nodeSelector: strMap,
      tolerations: { type: 'array', of: k8s },
      model: { type: 'object', required: ['modelFormat'], fields: {
        modelFormat: { type: 'object', required: ['name'], fields: { name: str, version: str } },
        runtime: str, runtimeVersion: str, protocolVersion: protocol, storageUri: str,
        args: { type: 'array', of: str }, env: { type: 'array', of: k8s }, resources: k8s,
        ports: { type: 'array', of: k8s } } } } } } } } };

function check(v, spec, path) {
  const t = Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (t !== spec.type) return fail(`${path}: expected ${spec.type}, found ${t}`);
  if (spec.enum && !spec.enum.includes(v)) return fail(`${path}: ${JSON.stringify(v)} is not one of ${spec.enum.join(', ')}`);
  if (spec.type === 'array' && spec.of) v.forEach((x, i) => check(x, spec.of, `${path}[${i}]`));
  if (spec.type === 'object' && spec.values) for (const [k, x] of Object.entries(v)) check(x, spec.values, `${path}.${k}`);
  if (spec.type === 'object' && spec.fields) {
    for (const r of spec.required || []) if (!(r in v)) fail(`${path}: missing required field ${r}`);
    for (const [k, x] of Object.entries(v)) {
      if (!(k in spec.fields)) fail(`${path}: unknown field ${k}`);
      else check(x, spec.fields[k], `${path}.${k}`);
    }
  }
}

function load(file) {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => {
    if (d.errors.length) fail(`${file}: YAML error: ${d.errors.map(e => e.message).join('; ')}`);
    return d.toJS();
  }).filter(Boolean);
  if (docs.length !== 1) fail(`${file}: expected one document, found ${docs.length}`);
  return docs[0] || {};
}

const sr = load(runtimeFile), isvc = load(isvcFile);
check(sr, servingRuntime, 'ServingRuntime');
check(isvc, inferenceService, 'InferenceService');

// the service's side: its ports, as the Dockerfile exposes them and application.yaml defaults them
const app = fs.readFileSync(appYaml, 'utf8');
const grpcDefault = /\n  grpc:.*\n(?:    .*\n)*?    port: (\d+)/.exec(app)?.[1];
if (grpcDefault !== '8081') fail(`application.yaml: visionserve.grpc.port default is ${grpcDefault}, expected 8081`);
const exposed = (/^EXPOSE (.*)$/m.exec(fs.readFileSync(dockerfile, 'utf8'))?.[1] || '').split(/\s+/);
for (const p of ['8080', '8081']) if (!exposed.includes(p)) fail(`Dockerfile: EXPOSE lacks ${p}`);

const spec = sr.spec || {};
for (const p of ['v2', 'grpc-v2']) if (!(spec.protocolVersions || []).includes(p)) fail(`ServingRuntime: protocolVersions lacks ${p}`);
const formats = (spec.supportedModelFormats || []).map(f => f.name);
for (const f of ['visionserve', 'onnx']) if (!formats.includes(f)) fail(`ServingRuntime: supportedModelFormats lacks ${f}`);
const c = (spec.containers || [])[0] || {};
if (c.name !== 'kserve-container') fail(`ServingRuntime: the first container must be kserve-container, is ${c.name}`);
const env = Object.fromEntries((c.env || []).map(e => [e.name, e.value]));
const want = { VISIONSERVE_MODELS_DIR: '/mnt/models', VISIONSERVE_MODELS_EXPORTDEFAULTS: 'false', SERVER_PORT: '8080', VISIONSERVE_GRPC_PORT: '8081' };
for (const [k, x] of Object.entries(want)) if (env[k] !== x) fail(`ServingRuntime: env ${k} is ${env[k]}, expected ${x}`);
const ports = c.ports || [];
if (ports[0]?.containerPort !== 8080) fail('ServingRuntime: the first port (KServe routes HTTP to it) must be 8080');
if (!ports.some(p => p.containerPort === 8081 && /grpc|h2c/.test(p.name || ''))) fail('ServingRuntime: no port 8081 named grpc/h2c');
for (const probe of ['readinessProbe', 'livenessProbe']) {
  const port = c[probe]?.httpGet?.port;
  if (port !== 8080) fail(`ServingRuntime: ${probe} must ask the HTTP port 8080, asks ${port}`);
}
if (spec.annotations?.['prometheus.kserve.io/port'] !== '8080') fail('ServingRuntime: prometheus.kserve.io/port must be "8080"');

const m = isvc.spec?.predictor?.model || {};
if (m.runtime !== sr.metadata?.name) fail(`InferenceService: runtime ${m.runtime} is not the ServingRuntime ${sr.metadata?.name}`);
if (!formats.includes(m.modelFormat?.name)) fail(`InferenceService: model format ${m.modelFormat?.name} is not the runtime's`);
if (!/^(pvc|s3|gs|https?|hdfs|webhdfs|oci):\/\/[^\s]+$/.test(m.storageUri || '')) fail(`InferenceService: storageUri ${m.storageUri} is no storage URI KServe fetches`);
if (isvc.metadata?.annotations?.['serving.kserve.io/deploymentMode'] !== 'RawDeployment')
  fail('InferenceService: Serverless (Knative) exposes one port only; the example needs RawDeployment for gRPC');

// the Kubernetes parts as one Pod, for validate-k8s.sh
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kserve-check' }, spec: {
  containers: [...(spec.containers || []), { name: 'predictor', image: 'x', resources: m.resources, env: m.env, ports: m.ports }]
    .map(x => Object.fromEntries(Object.entries(x).filter(([, y]) => y !== undefined))),
  volumes: spec.volumes } };
fs.writeFileSync(podOut, JSON.stringify(pod));

for (const e of errors) console.log(`FAIL ${e}`);
console.log(`kserve-check: ${errors.length ? errors.length + ' failure(s)' : 'structure and consistency ok'}`);
process.exit(errors.length ? 1 : 0);
EOF

rc=0
node "$home/kserve-check.mjs" "$dir/servingruntime.yaml" "$dir/inferenceservice.yaml" \
  service/src/main/resources/application.yaml Dockerfile "$tmp/pod.json" || rc=1
# JSON is YAML: the pod goes through the Kubernetes schemas and the strict field pass
[ -f "$tmp/pod.json" ] && { .ci/lib/validate-k8s.sh "$tmp/pod.json" || rc=1; }
[ "$rc" = 0 ] && log "ok" || log "FAILED"
exit "$rc"
