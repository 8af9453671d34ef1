#!/usr/bin/env python3
"""Runs every query of the Grafana dashboard against a real Prometheus (template variables filled in)
and fails on a query Prometheus rejects. With --expect-data MODEL, the per-model latency quantile and
request-rate panels must also return a series for MODEL (the service has been scraped after traffic).

usage: check-dashboard.py DASHBOARD.json PROMETHEUS_URL [--expect-data MODEL]
"""
import json
import sys
import urllib.parse
import urllib.request

VARS = {"$__rate_interval": "1m", "$model": ".*", "$instance": ".*"}


def query(prom, expr):
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def main():
    dash_file, prom = sys.argv[1], sys.argv[2].rstrip("/")
    model = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--expect-data" else None
    dash = json.load(open(dash_file))
    failures, checked = 0, 0
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for k, v in VARS.items():
                expr = expr.replace(k, v)
            res = query(prom, expr)
            checked += 1
            if res.get("status") != "success":
                failures += 1
                print(f"FAIL {panel['title']!r}: {res.get('error')}\n     {expr}")
                continue
            series = [s for s in res["data"]["result"] if s["metric"].get("model") == model] if model else []
            wants_data = model and any(t in panel["title"] for t in ("p50 / p95 / p99", "Request rate"))
            if wants_data and not series:
                failures += 1
                print(f"FAIL {panel['title']!r}: no series for model {model}\n     {expr}")
            else:
                shown = ", ".join(f"{s['value'][1]}" for s in series[:3])
                print(f"ok   {panel['title']!r}" + (f" ({model}: {shown})" if series else ""))
    print(f"check-dashboard: {checked} queries, {failures} failure(s)")
    sys.exit(1 if failures or not checked else 0)


if __name__ == "__main__":
    main()
