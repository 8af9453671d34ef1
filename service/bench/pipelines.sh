#!/usr/bin/env bash
# Clip and volume throughput (issue: dynamic batching, "the same table for the clip endpoint and the
# volume endpoint"): the service jar as the image runs it (-Xmx2g -XX:+ExitOnOutOfMemoryError), and
# `hey` in its own process posting k6/data's clip (recognize, Farneback) at 1 and 4 clients and its
# four-modality spine volume (segment) at 1 and 4 clients. Per level: requests/s, p50/p95, errors,
# the mean time per request of each stage and the network runs per request with their mean batch
# (frames or slices per run; from the service's histograms),
# and the inference-only limit: 1 / (the inference stages' seconds per request at 1 client).
# Usage (repository root, after ./mvnw -DskipTests package): service/bench/pipelines.sh [requests per client=4]
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib/common.sh
PER_CLIENT=${1:-4}
PORT=${BENCH_PORT:-18281}
command -v hey >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q hey >/dev/null
require_free_port "$PORT" "the benchmarked service (BENCH_PORT)"
work=$(mktemp -d /tmp/vs-pipelines.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | sed -n 1p), load average $(cut -d' ' -f1-3 /proc/loadavg)"

java -Xmx2g -XX:+ExitOnOutOfMemoryError -jar service/target/service-0.1.0-SNAPSHOT.jar --server.port="$PORT" --visionserve.grpc.port=0 \
  --visionserve.models.dir="${BENCH_MODELS:-$work/models}" \
  --visionserve.models.defaults=resnet101_rgb,resnet101_flow,ts_lstm_ucf101,ivd_net --logging.level.root=WARN \
  ${BENCH_SERVICE_ARGS:-} > "$work/service.log" 2>&1 &
pid=$!
wait_http "http://127.0.0.1:$PORT/actuator/health/readiness" "the service with the clip and volume models" 900 \
  || { tail -30 "$work/service.log"; exit 1; }

# multipart bodies for hey (it posts one file with the content type we give)
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
def multipart(path, parts):
    b = b"----visionserve-bench"
    out = b""
    for name, file, ctype in parts:
        out += b"--" + b + b"\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\"; filename=\"" \
            + file.split("/")[-1].encode() + b"\"\r\nContent-Type: " + ctype.encode() + b"\r\n\r\n" + open(file, "rb").read() + b"\r\n"
    open(path, "wb").write(out + b"--" + b + b"--\r\n")
multipart(work + "/clip.body", [("file", "k6/data/clip.mp4", "video/mp4")])
multipart(work + "/volume.body", [(m, f"k6/data/spine_{m}.nii.gz", "application/gzip") for m in ("fat", "inn", "opp", "wat")])
PY
ctype="multipart/form-data; boundary=----visionserve-bench"
scrape() { curl -fsS "http://127.0.0.1:$PORT/actuator/prometheus" -o "$1"; }

level() { # name url body model(s: the first counts the requests) clients
  local name=$1 url=$2 body=$3 model=$4 c=$5
  scrape "$work/before.prom"
  hey -n $((c * PER_CLIENT)) -c "$c" -t 600 -m POST -T "$ctype" -D "$body" "$url" > "$work/hey.txt"
  scrape "$work/after.prom"
  python3 - "$name" "$c" "$model" "$work/hey.txt" "$work/before.prom" "$work/after.prom" <<'PY'
import re, sys
name, c, models, hey_f, before_f, after_f = sys.argv[1:]
models = models.split(",")
model = models[0]
hey = open(hey_f).read()
def metric(text, n, **labels):
    t = 0.0
    for line in text.splitlines():
        if line.startswith(n + "{"):
            lab = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
            if all(lab.get(k) == v for k, v in labels.items()):
                t += float(line.rsplit(" ", 1)[1])
    return t
b, a = open(before_f).read(), open(after_f).read()
d = lambda n, **l: metric(a, n, **l) - metric(b, n, **l)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", hey).group(1))
avg = float(re.search(r"Average:\s+([\d.]+) secs", hey).group(1)) * 1000
slowest = float(re.search(r"Slowest:\s+([\d.]+) secs", hey).group(1)) * 1000
codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", hey))
errors = sum(int(n) for k, n in codes.items() if k != "200")
reqs = d("visionserve_stage_seconds_count", model=model, stage="total") or float("nan")
stages = sorted({s for m in models for s in re.findall(r'visionserve_stage_seconds_count\{[^}]*model="' + m + r'"[^}]*stage="(\w+)"', a)})
# every model's share of a stage (a clip's inference runs under its rgb, flow and head models)
per = {s: sum(d("visionserve_stage_seconds_sum", model=m, stage=s) for m in models) / reqs * 1000 for s in stages}
inf = per.get("inference", 0)
# batched runs of the networks (rgb/flow ResNets, IVD-Net): per request, and items (frames, slices) per run
batched = [m for m in models if m != "ts_lstm_ucf101"]
runs = sum(d("visionserve_batch_size_count", model=m) for m in batched)
items = sum(d("visionserve_batch_size_sum", model=m) for m in batched)
stage_txt = " ".join(f"{s} {per[s]:.0f}" for s in stages if s != "total")
print(f"| {name} | {c} | {rps:.3f} | {avg:.0f} | {slowest:.0f} | {errors} | "
      f"{stage_txt} | {runs / reqs:.1f} ({items / runs if runs else float('nan'):.1f}) | "
      f"{1000 / inf if inf else float('nan'):.3f} |")
PY
}
echo
echo "| endpoint | clients | requests/s | mean ms | slowest ms | errors | mean ms per request by stage | network runs per request (items per run) | inference-only limit req/s |"
echo "|---|---|---|---|---|---|---|---|---|"
clip="http://127.0.0.1:$PORT/v1/models/ts_lstm_ucf101/recognize?flow=farneback"
vol="http://127.0.0.1:$PORT/v1/models/ivd_net/segment"
hey -n 2 -c 1 -t 600 -m POST -T "$ctype" -D "$work/clip.body" "$clip" > /dev/null   # warm-up
hey -n 2 -c 1 -t 600 -m POST -T "$ctype" -D "$work/volume.body" "$vol" > /dev/null
for c in 1 4; do level recognize "$clip" "$work/clip.body" ts_lstm_ucf101,resnet101_rgb,resnet101_flow "$c"; done
for c in 1 4; do level segment "$vol" "$work/volume.body" ivd_net "$c"; done
