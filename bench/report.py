#!/usr/bin/env python3
"""Writes BENCHMARKS.md from bench/results/*.json (this run's figures) and
bench/analysis.md (the method and what changed, written by hand). Prints the table.

Usage: report.py RESULTS_DIR OUT_MD
"""

import json
import os
import platform
import sys
import time


def load(results, name):
    path = os.path.join(results, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def check(ok):
    return "met" if ok else "**missed**"


def rows(results):
    out = []
    per_job = load(results, "per_job")
    if per_job:
        series = {(s["name"].split()[0], s["tasks"]): s["figures"] for s in per_job["series"]}
        for tasks in sorted({t for _, t in series}):
            edge, base = series.get(("edge", tasks)), series.get(("wasmtime", tasks))
            if not edge:
                continue
            ratio = base["p50_us"] / edge["p50_us"] if base else None
            out.append((
                f"executor per-job cost, `echo`, {tasks} task(s)",
                f"p50 {edge['p50_us']:.1f} µs, p99 {edge['p99_us']:.1f} µs, {edge['jobs_per_s']:,.0f} jobs/s",
                f"`wasmtime run` .cwasm per process: p50 {base['p50_us'] / 1000:.1f} ms, p99 {base['p99_us'] / 1000:.1f} ms"
                if base else "—",
                f"{ratio:,.0f}× faster" if ratio else "—",
                "p50 ≤ 25 µs; ≥ 150×",
                check(edge["p50_us"] <= 25 and (ratio or 0) >= 150),
            ))
    jobs = load(results, "jobs")
    if jobs:
        lat = jobs["latency"]
        e, n = lat["edge_rest_wait"], lat["raw_nats_request_reply"]
        out.append((
            f"`POST /v1/jobs?wait` at {lat['rate_per_s']:,}/s open loop ({lat['rounds']}×{lat['seconds']} s)",
            f"p50 {e['p50_ms']:.2f} ms, p99 {e['p99_ms']:.2f} ms, max {e['max_ms']:.1f} ms, {lat['errors']} errors",
            f"raw NATS request/reply: p50 {n['p50_ms']:.2f} ms, p99 {n['p99_ms']:.2f} ms",
            f"{e['p50_ms'] / n['p50_ms']:.1f}× the round trip (p50)",
            "p50 ≤ 1.5 ms, p99 ≤ 5 ms",
            check(e["p50_ms"] <= 1.5 and e["p99_ms"] <= 5 and lat["errors"] == 0),
        ))
        for via, target in (("nats", 15000), ("rest", 8000)):
            b = jobs["burst"][via]
            cpu = ", ".join(f"{name} {us:.0f}" for name, us in b.get("cpu_us_per_job", {}).items())
            out.append((
                f"burst of {b['jobs']:,} jobs over {via.upper()}, all completed (median of {b.get('rounds', 1)})",
                f"submitted {b['submit_per_s']:,.0f}/s; completed {b['completed_per_s']:,.0f}/s"
                + (f"; CPU µs/job: {cpu}" if cpu else ""),
                "—", "—", f"≥ {target:,} jobs/s",
                check(b["completed_per_s"] >= target) + ("" if b["completed_per_s"] >= target else
                                                         f" (submit {check(b['submit_per_s'] >= target)})"),
            ))
        by_slots = jobs.get("burst_by_slots") or {}
        if by_slots:
            figures = "; ".join(f"{slots} slots: {rate:,.0f}/s" for slots, rate in by_slots.items())
            out.append((
                "the NATS burst with fewer executor slots (one round each)",
                f"completed {figures}; {jobs['executor_concurrency']} slots: "
                f"{jobs['burst']['nats']['completed_per_s']:,.0f}/s (above)",
                "—", "—", "—", "—",
            ))
        cold = jobs["cold_start"]
        s, c = cold["shared_precompiled"], cold["full_compile"]
        out.append((
            f"cold start: new executor's first load of `hello` ({cold['rounds']} rounds)",
            f"precompiled from the shared store: p50 {s['load_ms_p50']:.1f} ms (max {s['load_ms_max']:.1f})",
            f"full compile: p50 {c['load_ms_p50']:.1f} ms",
            f"{c['load_ms_p50'] / s['load_ms_p50']:.0f}× faster",
            "≤ 5 ms",
            check(s["load_ms_p50"] <= 5),
        ))
        sse = jobs["sse_fan_out"]
        rss = sse.get("host_rss_before_kib"), sse.get("host_rss_peak_kib")
        out.append((
            f"SSE fan-out: {sse['clients']} clients follow one job",
            f"{sse['clients_with_every_event']}/{sse['clients']} got all {sse['events_per_client']} events; "
            f"host RSS {rss[0] / 1024:.0f} → peak {rss[1] / 1024:.0f} MiB" if all(rss) else "",
            "—", "—", "every client every event; memory reported",
            check(sse["clients_with_every_event"] == sse["clients"]),
        ))
    functions = load(results, "functions")
    if functions:
        f = functions["summary"]
        out.append((
            "edge function `http-hello`, wrk -c32",
            f"{f['edge']['rps']:,.0f} req/s, p50 {f['edge']['p50_ms']:.2f} ms, p99 {f['edge']['p99_ms']:.2f} ms",
            f"`wasmtime serve`: {f['wasmtime_serve']['rps']:,.0f} req/s, p99 {f['wasmtime_serve']['p99_ms']:.2f} ms",
            f"{f['ratio_rps_edge_over_wasmtime']:.2f}× req/s", "—", "—",
        ))
    return out


def main(results, out_md):
    table = ["| measure | edge | baseline (same run) | ratio | target | |", "| --- | --- | --- | --- | --- | --- |"]
    table += ["| " + " | ".join(r) + " |" for r in rows(results)]
    jobs = load(results, "jobs") or {}
    header = [
        "# Benchmarks",
        "",
        "Written by `just bench` (`bench/report.py`) from `bench/results/*.json`; the method and the",
        "history of changes below the table come from `bench/analysis.md`.",
        "",
        f"Last run: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"release builds, loopback only. Job figures: one host, {jobs.get('executors', 1)} executor × "
        f"{jobs.get('executor_concurrency', '?')} slots, nats-server and the load generator on the same 2 cores.",
        "",
    ]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")) as f:
        analysis = f.read()
    with open(out_md, "w") as f:
        f.write("\n".join(header + table) + "\n\n" + analysis)
    print("\n".join(table))


if __name__ == "__main__":
    main(*sys.argv[1:3])
