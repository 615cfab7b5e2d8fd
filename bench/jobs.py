#!/usr/bin/env python3
"""The job path, measured against its baselines in one run (issue 6):

- `POST /v1/jobs?wait` latency at a fixed open-loop rate, against raw NATS request/reply of
  an empty message at the same rate, alternating over rounds;
- bursts of jobs submitted over the NATS API and over REST, until every job is done;
- SSE fan-out: many clients follow one job, each must get every event; host memory;
- cold start: a new executor's first load of a component another executor compiled,
  against the same with no precompiled code anywhere (a full compile).

Load comes from `edge-loadgen` (Rust, same machine, loopback). Processes are real: nats-server,
`edge serve`, `edge executor`, all release builds.

Usage: jobs.py EDGE LOADGEN NATS_SERVER GUEST_DIR RESULTS_JSON
Environment: BENCH_RATE (1000), BENCH_RATE_SECONDS (5), BENCH_ROUNDS (3), BENCH_BURST (20000),
BENCH_WARM_UP (5000: an untimed burst each way before the timed ones),
BENCH_SSE_CLIENTS (500), BENCH_COLD_ROUNDS (5), BENCH_EXECUTORS (1), BENCH_CONCURRENCY (128),
BENCH_SLOT_SWEEP ("16 32 64": the burst over NATS again, once, with an executor of that many slots).
"""

import json
import os
import statistics
import subprocess
import sys
import time

from common import Platform

RATE = int(os.environ.get("BENCH_RATE", "1000"))
RATE_SECONDS = int(os.environ.get("BENCH_RATE_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BURST = int(os.environ.get("BENCH_BURST", "20000"))
WARM_UP = int(os.environ.get("BENCH_WARM_UP", "5000"))
SSE_CLIENTS = int(os.environ.get("BENCH_SSE_CLIENTS", "500"))
COLD_ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "5"))
EXECUTORS = int(os.environ.get("BENCH_EXECUTORS", "1"))
# A short job's slot mostly waits on NATS round trips (pull, record, `done`): slots must
# cover rate × round-trip time, see bench/analysis.md.
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "128"))
SLOT_SWEEP = [int(n) for n in os.environ.get("BENCH_SLOT_SWEEP", "16 32 64").split()]


def loadgen(binary, *args):
    out = subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def latency(platform, lg):
    edge_runs, nats_runs = [], []
    for round_no in range(ROUNDS):
        order = ["edge", "nats"] if round_no % 2 == 0 else ["nats", "edge"]
        for which in order:
            if which == "edge":
                edge_runs.append(loadgen(lg, "rate", "--base", platform.base, "--rate", RATE,
                                         "--seconds", RATE_SECONDS))
            else:
                nats_runs.append(loadgen(lg, "nats-rate", "--nats-url", platform.nats_url, "--rate", RATE,
                                         "--seconds", RATE_SECONDS))
    summary = lambda runs: {k: median_of(runs, k) for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}  # noqa: E731
    return {"rate_per_s": RATE, "seconds": RATE_SECONDS, "rounds": ROUNDS,
            "edge_rest_wait": summary(edge_runs), "raw_nats_request_reply": summary(nats_runs),
            "errors": sum(r["errors"] for r in edge_runs + nats_runs), "runs": {"edge": edge_runs, "nats": nats_runs}}


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_burst(platform, lg, via, jobs):
    return loadgen(lg, "burst", "--via", via, "--nats-url", platform.nats_url, "--base", platform.base,
                   "--jobs", jobs)


def burst(platform, lg):
    """BENCH_ROUNDS bursts per way in, alternating which goes first; medians, each round's
    figures, and the CPU each process spent per job (where the two cores went)."""
    processes = {"nats-server": platform.procs[0].pid, "host": platform.host.pid,
                 "executor": platform.executors[0].pid}
    runs = {"nats": [], "rest": []}
    # Untimed first: the first burst after start-up also grows heaps, buffers and the stores
    # (in one run here: 13.1k/s first, then 15.6k and 15.0k).
    for via in ("nats", "rest"):
        one_burst(platform, lg, via, WARM_UP)
    for round_no in range(ROUNDS):
        for via in (["nats", "rest"] if round_no % 2 == 0 else ["rest", "nats"]):
            before = {name: cpu_seconds(pid) for name, pid in processes.items()}
            children = os.times()
            run = one_burst(platform, lg, via, BURST)
            spent = {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}
            after = os.times()
            spent["loadgen"] = (after.children_user - children.children_user
                                + after.children_system - children.children_system)
            run["cpu_us_per_job"] = {name: round(s / BURST * 1e6, 1) for name, s in spent.items()}
            runs[via].append(run)
    result = {}
    for via, rounds in runs.items():
        result[via] = {"jobs": BURST, "rounds": len(rounds),
                       "submit_per_s": median_of(rounds, "submit_per_s"),
                       "completed_per_s": median_of(rounds, "completed_per_s"),
                       "cpu_us_per_job": {name: statistics.median(r["cpu_us_per_job"][name] for r in rounds)
                                          for name in rounds[0]["cpu_us_per_job"]},
                       "runs": rounds}
    return result


def sse(platform, lg):
    return loadgen(lg, "sse", "--base", platform.base, "--clients", SSE_CLIENTS, "--host-pid", platform.host.pid)


def with_custom_section(wasm, tag):
    """The same component with a custom section appended: a new digest nobody compiled."""
    name = b"edge-bench"
    payload = bytes([len(name)]) + name + tag.encode()
    return wasm + b"\x00" + leb128(len(payload)) + payload


def leb128(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def first_load(platform, component):
    """Starts a fresh executor, runs `component` once on it, returns (load ms, source, job ms)."""
    for proc in list(platform.executors):
        platform.stop_executor(proc)
        platform.executors.remove(proc)
    proc = platform.add_executor(log_level="info")
    started = time.perf_counter()
    platform.run_job(component, ["cold"])
    job_ms = (time.perf_counter() - started) * 1000
    event = platform.wait_log(proc, lambda e: e.get("message") == "component loaded")
    return event["load_ms"], event["source"], job_ms


def cold_start(platform, guest_dir):
    with open(os.path.join(guest_dir, "hello.wasm"), "rb") as f:
        hello = f.read()
    shared, compiled = [], []
    for i in range(COLD_ROUNDS):
        # Full compile: a digest no executor has seen.
        platform.upload(f"cold-compile-{i}", with_custom_section(hello, f"compile-{time.time_ns()}"))
        compiled.append(first_load(platform, f"cold-compile-{i}"))
        # The same component, now compiled by the executor just used: a new one loads it.
        shared.append(first_load(platform, f"cold-compile-{i}"))
    for source, runs in (("compiled", compiled), ("shared", shared)):
        bad = [r for r in runs if r[1] != source]
        if bad:
            raise SystemExit(f"expected loads from {source}, got {bad}")
    summary = lambda runs: {"load_ms_p50": statistics.median(r[0] for r in runs),  # noqa: E731
                            "load_ms_max": max(r[0] for r in runs),
                            "first_job_ms_p50": statistics.median(r[2] for r in runs)}
    return {"rounds": COLD_ROUNDS, "shared_precompiled": summary(shared), "full_compile": summary(compiled)}


def main(edge, lg, nats_server, guest_dir, results_path):
    results = {"machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}",
               "date": time.strftime("%Y-%m-%d %H:%M:%S"), "executors": EXECUTORS,
               "executor_concurrency": CONCURRENCY}
    with Platform(edge, nats_server, executors=EXECUTORS, concurrency=CONCURRENCY) as platform:
        for name in ("hello", "sleep-print"):
            with open(os.path.join(guest_dir, f"{name}.wasm"), "rb") as f:
                platform.upload(name, f.read())
        platform.run_job("hello")  # compile once, before anything is timed
        results["latency"] = latency(platform, lg)
        print(json.dumps(results["latency"], indent=2)[:1500])
        results["burst"] = burst(platform, lg)
        print(json.dumps(results["burst"], indent=2))
        results["sse_fan_out"] = sse(platform, lg)
        print(json.dumps(results["sse_fan_out"], indent=2))
        results["cold_start"] = cold_start(platform, guest_dir)
        print(json.dumps(results["cold_start"], indent=2))
    results["burst_by_slots"] = {}
    for slots in SLOT_SWEEP:
        with Platform(edge, nats_server, executors=1, concurrency=slots) as platform:
            with open(os.path.join(guest_dir, "hello.wasm"), "rb") as f:
                platform.upload("hello", f.read())
            platform.run_job("hello")
            results["burst_by_slots"][str(slots)] = one_burst(platform, lg, "nats", BURST)["completed_per_s"]
    print(json.dumps(results["burst_by_slots"], indent=2))
    os.makedirs(os.path.dirname(results_path), exist_ok=True)
    with open(results_path, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:6])
