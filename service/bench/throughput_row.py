"""One row of throughput.sh's table from hey's report and two Prometheus scrapes of the service."""
import re
import sys

clients, model, hey_file, before_file, after_file = sys.argv[1:6]
hey = open(hey_file).read()


def metric(text, name, **labels):
    """Sum of the samples of NAME whose labels include LABELS."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        lab = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(lab.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


before, after = open(before_file).read(), open(after_file).read()


def delta(name, **labels):
    return metric(after, name, **labels) - metric(before, name, **labels)


rps = float(re.search(r"Requests/sec:\s+([\d.]+)", hey).group(1))
pct = {int(p): float(v) * 1000 for p, v in re.findall(r"\s(\d+)%% in ([\d.]+) secs".replace("%%", "%"), hey)}
codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", hey))
errors = sum(int(n) for c, n in codes.items() if c != "200")
if "Error distribution:" in hey:  # transport errors: "  [COUNT]\tPost ...: error"
    errors += sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s+\S", hey.split("Error distribution:")[1], re.M))
runs = delta("visionserve_batch_size_count", model=model)
items = delta("visionserve_batch_size_sum", model=model)
les = sorted({float(l) for l in re.findall(r'visionserve_batch_size_bucket\{[^}]*le="([\d.]+)"', after)})
dist, prev = [], 0.0
for le in les:
    cum = delta("visionserve_batch_size_bucket", model=model, le=f"{le}")
    if cum - prev > 0:
        dist.append(f"{le:g}:{cum - prev:.0f}")
    prev = cum
n = delta("visionserve_stage_seconds_count", model=model, stage="decode")
pre = (delta("visionserve_stage_seconds_sum", model=model, stage="decode")
       + delta("visionserve_stage_seconds_sum", model=model, stage="preprocess")) / n * 1000 if n else float("nan")
mean_batch = items / runs if runs else float("nan")
print(f"| {clients} | {rps:.2f} | {pct.get(50, float('nan')):.1f} | {pct.get(95, float('nan')):.1f} | "
      f"{pct.get(99, float('nan')):.1f} | {errors} | {mean_batch:.2f} | {' '.join(dist)} | {pre:.2f} |")
