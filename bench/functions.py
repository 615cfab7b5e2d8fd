#!/usr/bin/env python3
"""Edge functions against `wasmtime serve`, same component, same machine, same run.

Starts nats-server and `edge serve` (release build), uploads http-hello as a function, starts
`wasmtime serve -Scli` on the same .wasm, then loads both with wrk at the same concurrency,
alternating which goes first in each round. Reports medians over the rounds and the ratio.

Usage: functions.py EDGE NATS_SERVER WASMTIME GUEST_WASM RESULTS_JSON
Environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_THREADS (2).
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import free_port, wait_http

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, seconds):
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
        check=True, capture_output=True, text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} failed responses\n{out}")
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


def main(edge, nats_server, wasmtime, wasm, results_path):
    work = tempfile.mkdtemp(prefix="edge-bench-")
    procs = []
    try:
        nats_port, edge_port, wt_port = free_port(), free_port(), free_port()
        procs.append(subprocess.Popen(
            [nats_server, "-a", "127.0.0.1", "-p", str(nats_port), "-js", "-sd", f"{work}/nats"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.3)
        env = dict(os.environ, EDGE_LOG="warn")
        procs.append(subprocess.Popen(
            [edge, "serve", "--nats-url", f"nats://127.0.0.1:{nats_port}", "--listen", f"127.0.0.1:{edge_port}",
             "--data-dir", f"{work}/edge"], env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/edge.log", "w")))
        wait_http(f"http://127.0.0.1:{edge_port}/healthz")
        with open(wasm, "rb") as f:
            req = urllib.request.Request(f"http://127.0.0.1:{edge_port}/v1/components?name=hello", data=f.read())
            urllib.request.urlopen(req).read()
        procs.append(subprocess.Popen(
            [wasmtime, "serve", "-Scli", "--addr", f"127.0.0.1:{wt_port}", wasm],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        targets = {
            "edge": f"http://127.0.0.1:{edge_port}/fn/hello/",
            "wasmtime_serve": f"http://127.0.0.1:{wt_port}/",
        }
        for url in targets.values():
            wait_http(url)
            wrk(url, 2)  # warm-up: compile caches, pools, connections
        runs = {name: [] for name in targets}
        for round_no in range(ROUNDS):
            order = list(targets) if round_no % 2 == 0 else list(reversed(list(targets)))
            for name in order:
                runs[name].append(wrk(targets[name], SECONDS))
        summary = {
            name: {key: statistics.median(r[key] for r in results) for key in ("rps", "p50_ms", "p99_ms")}
            for name, results in runs.items()
        }
        summary["ratio_rps_edge_over_wasmtime"] = summary["edge"]["rps"] / summary["wasmtime_serve"]["rps"]
        report = {
            "what": "GET a wasi:http hello function: edge /fn/hello/ vs wasmtime serve -Scli, same .wasm",
            "load": f"wrk -t{THREADS} -c{CONNECTIONS} -d{SECONDS}s, {ROUNDS} alternating rounds, medians",
            "machine": f"{os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "summary": summary,
            "runs": runs,
        }
        os.makedirs(os.path.dirname(results_path), exist_ok=True)
        with open(results_path, "w") as f:
            json.dump(report, f, indent=2)
        print(f"| target | req/s (median) | p50 ms | p99 ms |")
        print(f"| --- | --- | --- | --- |")
        for name in targets:
            s = summary[name]
            print(f"| {name} | {s['rps']:.0f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} |")
        print(f"edge / wasmtime serve: {summary['ratio_rps_edge_over_wasmtime']:.2f}x requests/s")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
