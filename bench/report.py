#!/usr/bin/env python3
"""Turns bench/run-compare.sh's measurements (JSON lines) into the console table, bench/results.md,
bench/results.json and bench/results.png, with every figure as a ratio to (1) the nginx ceiling and
(2) the C libfcgi floor, and the targets of issue #16 checked. With several passes (bench/run-compare.sh's
PASSES) every figure of a row is the median over its passes.

Usage: report.py RESULTS.jsonl OUT_DIR "description of the run" """
import json
import sys
from pathlib import Path

import statistics

runs = [json.loads(line) for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
out = Path(sys.argv[2])
setup = sys.argv[3] if len(sys.argv) > 3 else ""

for r in runs:
    seconds = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / seconds if seconds else 0.0
    r["p50_ms"] = r["p50_us"] / 1000
    r["p99_ms"] = r["p99_us"] / 1000
    r["rss_mib"] = r["rss_kib"] / 1024
    r["vmrss_mib"] = r.get("vmrss_kib", r["rss_kib"]) / 1024
    per_request_us = 1e6 / r["ticks_per_second"] / max(r["requests"], 1)
    r["server_cpu_us"] = r["server_cpu_ticks"] * per_request_us
    r["nginx_cpu_us"] = r["nginx_cpu_ticks"] * per_request_us
    r["helper_cpu_us"] = r.get("helper_cpu_ticks", 0) * per_request_us

# One row per server, in the order of the first pass: the median of each figure over the passes.
rows = []
for name in dict.fromkeys(r["row"] for r in runs):
    passes = [r for r in runs if r["row"] == name]
    row = {"row": name, "label": passes[0]["label"], "passes": len(passes)}
    for key, value in passes[0].items():
        if isinstance(value, (int, float)) and key not in ("pass", "ticks_per_second"):
            row[key] = statistics.median(p[key] for p in passes)
    row["non200"] = sum(p["non200"] for p in passes)
    row["socket_errors"] = sum(p["socket_errors"] for p in passes)
    row["rps_passes"] = [round(p["rps"]) for p in passes]
    rows.append(row)

by = {r["row"]: r for r in rows}
ceiling, floor = by.get("ceiling"), by.get("c-floor")
METRICS = [("rps", "req/s", "{:,.0f}"), ("p50_ms", "p50 ms", "{:.2f}"), ("p99_ms", "p99 ms", "{:.2f}"),
           ("rss_mib", "peak RSS MiB", "{:.1f}"), ("vmrss_mib", "RSS at end MiB", "{:.1f}"),
           ("server_cpu_us", "server CPU µs/req", "{:.0f}")]


def ratio(r, base, key):
    if base is None or not base[key]:
        return "–"
    return f"{r[key] / base[key]:.2f}"


header = ["server"]
for _, name, _ in METRICS:
    header += [name, "÷(1)", "÷(2)"]
header += ["nginx CPU µs/req", "redis CPU µs/req", "non-200", "socket errors"]
table = []
for r in rows:
    line = [r["label"]]
    for key, _, fmt in METRICS:
        line += [fmt.format(r[key]), ratio(r, ceiling, key), ratio(r, floor, key)]
    line += [f"{r['nginx_cpu_us']:.0f}", f"{r['helper_cpu_us']:.0f}" if r["helper_cpu_us"] else "–",
             str(r["non200"]), str(r["socket_errors"])]
    table.append(line)

# The targets (issue #16).
checks = []
w, ka, cl = by.get("wecom-fcgi"), by.get("wecom-fcgi-keepalive"), by.get("wecom-fcgi-cluster")
if w and floor:
    checks.append(("(3) as shipped ≥ 0.6× the C floor (req/s)", w["rps"] / floor["rps"], w["rps"] >= 0.6 * floor["rps"]))
    checks.append(("(3) as shipped ≥ 0.9× the C floor (req/s)", w["rps"] / floor["rps"], w["rps"] >= 0.9 * floor["rps"]))
if w:
    checks.append(("(3) peak RSS ≤ 24 MiB (VmHWM)", w["rss_mib"], w["rss_mib"] <= 24))
    checks.append(("(3) RSS under load ≤ 24 MiB (VmRSS)", w["vmrss_mib"], w["vmrss_mib"] <= 24))
if ka and floor:
    checks.append(("(3b) keep-alive above the no-keep-alive C floor (req/s)", ka["rps"] / floor["rps"], ka["rps"] > floor["rps"]))
    checks.append(("(3b) keep-alive: non-2xx answers", ka["non200"], ka["non200"] == 0))
base = by.get("wecom-fcgi-baseline")
if base and w:
    checks.append(("(3) ÷ (3z) baseline, same passes (req/s)", w["rps"] / base["rps"], w["rps"] >= base["rps"]))
if cl and w:
    checks.append(("(3d) [cluster] on ≥ 0.85× (3) (req/s)", cl["rps"] / w["rps"], cl["rps"] >= 0.85 * w["rps"]))


def markdown() -> str:
    md = ["# Comparative benchmark (bench/run-compare.sh)", "", setup, "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(line) + " |" for line in table]
    md += ["", "÷(1): ratio to the nginx ceiling; ÷(2): ratio to the C libfcgi floor. Every figure is the median "
           "over the passes (req/s of each pass: " + "; ".join(f"{r['row']} {r['rps_passes']}" for r in rows) + "). "
           "Peak RSS is VmHWM, RSS at end VmRSS after the measured run, each summed "
           "over the server's processes (for (1): nginx's master and workers; for the others: without nginx). "
           "CPU µs/req: utime+stime of the server's processes (and of nginx) during the measured run, per "
           "request; for (1) the server is nginx; redis CPU: redis-server's, for (3d). Builds: every wecom-fcgi "
           "row but (3c) is scripts/build-release.sh's (static Swift runtime and Foundation, the binary "
           "`make test` tests and the .deb ships); (3c) is `swift build -c release` (the toolchain's shared "
           "libraries). Where the resident pages are: bench/smaps-summary.py bench/.run/ROW.passN.smaps.",
           "", "| target | value | met |", "|---|---|---|"]
    md += [f"| {name} | {value:.2f} | {'yes' if ok else '**no**'} |" for name, value, ok in checks]
    return "\n".join(md) + "\n"


(out / "results.md").write_text(markdown(), encoding="utf-8")
(out / "results.json").write_text(json.dumps({"setup": setup, "rows": rows}, indent=2) + "\n", encoding="utf-8")

widths = [max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(header)]
print()
print(setup)
print("  ".join(h.ljust(widths[i]) for i, h in enumerate(header)))
for line in table:
    print("  ".join(c.ljust(widths[i]) for i, c in enumerate(line)))
print()
for name, value, ok in checks:
    print(f"{'MET ' if ok else 'MISS'}  {name}: {value:.2f}")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("report: matplotlib missing, no results.png")
    sys.exit(0)
labels = [r["label"].split(" ", 1)[0] + " " + r["row"] for r in rows]
fig, axes = plt.subplots(1, 3, figsize=(15, 5.6))
for ax, (key, title) in zip(axes, [("rps", "requests/s (higher is better)"), ("p99_ms", "p99 latency, ms (lower is better)"),
                                   ("rss_mib", "peak RSS, MiB (lower is better)")]):
    values = [r[key] for r in rows]
    bars = ax.bar(range(len(rows)), values, color=["#999999", "#666666", "#1f77b4", "#17becf", "#9467bd", "#2ca02c", "#d62728", "#ff7f0e"][:len(rows)])
    ax.set_xticks(range(len(rows)), labels, fontsize=7, rotation=35, ha="right")
    ax.set_title(title, fontsize=10)
    for b, v in zip(bars, values):
        ax.annotate(f"{v:,.0f}" if key == "rps" else f"{v:.1f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=7)
fig.suptitle("wecom-fcgi vs its ceiling, floor and peers — " + setup.split(",")[0], fontsize=9)
fig.tight_layout()
fig.savefig(out / "results.png", dpi=110)
print(f"report: wrote {out / 'results.md'}, {out / 'results.json'}, {out / 'results.png'}")
