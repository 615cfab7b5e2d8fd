#!/usr/bin/env python3
"""First job-path figures (toward issue 6): burst throughput over the NATS API, and
`POST /v1/jobs?wait` latency at a fixed rate (open loop: requests are sent on schedule, not
when the previous one returns).

Starts nats-server, `edge serve` and one executor (release build) in a temp dir.
Usage: jobs.py EDGE NATS_SERVER GUEST_DIR RESULTS_JSON
Environment: BENCH_BURST (2000), BENCH_RATE (200 jobs/s), BENCH_RATE_SECONDS (5),
BENCH_CONCURRENCY (executor slots, 4).
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from common import free_port, wait_http

import nats

BURST = int(os.environ.get("BENCH_BURST", "2000"))
RATE = int(os.environ.get("BENCH_RATE", "200"))
RATE_SECONDS = int(os.environ.get("BENCH_RATE_SECONDS", "5"))
SLOTS = os.environ.get("BENCH_CONCURRENCY", "4")


async def burst(nats_url):
    nc = await nats.connect(nats_url)
    done = 0
    all_done = asyncio.Event()

    async def on_done(_msg):
        nonlocal done
        done += 1
        if done >= BURST:
            all_done.set()

    await nc.subscribe("edge.events.*.done", cb=on_done)
    job = json.dumps({"component": "hello", "args": ["bench"]}).encode()
    in_flight = asyncio.Semaphore(64)

    async def submit():
        async with in_flight:
            reply = await nc.request("edge.api.jobs.submit", job, timeout=30)
            if reply.headers and "Nats-Service-Error" in reply.headers:
                raise SystemExit(f"submit failed: {reply.headers}")

    started = time.perf_counter()
    await asyncio.gather(*(submit() for _ in range(BURST)))
    submitted = time.perf_counter() - started
    await asyncio.wait_for(all_done.wait(), timeout=300)
    finished = time.perf_counter() - started
    await nc.close()
    return {"jobs": BURST, "submit_per_s": BURST / submitted, "completed_per_s": BURST / finished}


def fixed_rate(base):
    """RATE requests/s for RATE_SECONDS, each on its own thread at its scheduled time."""
    body = json.dumps({"component": "hello", "args": ["latency"]}).encode()
    latencies, errors, threads = [], [], []
    lock = threading.Lock()

    def one(scheduled):
        req = urllib.request.Request(f"{base}/v1/jobs?wait=10s", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                record = json.loads(r.read())
                ok = r.status == 200 and record.get("status") == "succeeded"
        except Exception as e:  # noqa: BLE001 - counted, reported
            ok, record = False, str(e)
        # From the scheduled send time: a late send counts against the system.
        elapsed = (time.perf_counter() - scheduled) * 1000
        with lock:
            (latencies if ok else errors).append(elapsed if ok else record)

    start = time.perf_counter() + 0.2
    for i in range(RATE * RATE_SECONDS):
        scheduled = start + i / RATE
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=one, args=(scheduled,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "rate_per_s": RATE,
        "seconds": RATE_SECONDS,
        "ok": len(latencies),
        "errors": len(errors),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": pick(0.99) if latencies else None,
    }


def main(edge, nats_server, guest_dir, results_path):
    work = tempfile.mkdtemp(prefix="edge-bench-jobs-")
    procs = []
    try:
        nats_port, host_port = free_port(), free_port()
        nats_url = f"nats://127.0.0.1:{nats_port}"
        procs.append(subprocess.Popen([nats_server, "-a", "127.0.0.1", "-p", str(nats_port), "-js", "-sd",
                                       f"{work}/nats"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.3)
        env = dict(os.environ, EDGE_LOG="warn")
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        procs.append(subprocess.Popen([edge, "serve", "--nats-url", nats_url, "--listen", f"127.0.0.1:{host_port}",
                                       "--data-dir", f"{work}/host"], **quiet))
        procs.append(subprocess.Popen([edge, "executor", "--nats-url", nats_url, "--concurrency", SLOTS,
                                       "--data-dir", f"{work}/executor"], **quiet))
        base = f"http://127.0.0.1:{host_port}"
        wait_http(f"{base}/healthz")
        with open(os.path.join(guest_dir, "hello.wasm"), "rb") as f:
            urllib.request.urlopen(urllib.request.Request(f"{base}/v1/components?name=hello", data=f.read())).read()
        # Warm-up: compile, caches, connections.
        urllib.request.urlopen(urllib.request.Request(f"{base}/v1/jobs?wait=30s", data=b'{"component":"hello"}')).read()
        results = {
            "machine": f"{os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "executor_slots": int(SLOTS),
            "burst_over_nats": asyncio.run(burst(nats_url)),
            "wait_latency_fixed_rate_rest": fixed_rate(base),
        }
        os.makedirs(os.path.dirname(results_path), exist_ok=True)
        with open(results_path, "w") as f:
            json.dump(results, f, indent=2)
        print(json.dumps(results, indent=2))
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main(*sys.argv[1:5])
