"""What the benchmark scripts share: free loopback ports, waiting for a server, and a
platform of real processes (nats-server, `edge serve`, `edge executor`) in a temp dir."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"nothing listens on {port}")


class Platform:
    """nats-server + one host + executors, each a real process; logs as JSON lines."""

    def __init__(self, edge, nats_server, executors=1, concurrency=4):
        self.edge, self.work = edge, tempfile.mkdtemp(prefix="edge-bench-")
        self.procs, self.executors, self.started_executors = [], [], 0
        self.nats_port, self.host_port = free_port(), free_port()
        self.nats_url = f"nats://127.0.0.1:{self.nats_port}"
        self.base = f"http://127.0.0.1:{self.host_port}"
        self.concurrency = concurrency
        self._start([nats_server, "-a", "127.0.0.1", "-p", str(self.nats_port), "-js", "-sd", f"{self.work}/nats"],
                    "nats")
        wait_port(self.nats_port)
        self.host = self._start([edge, "serve", "--nats-url", self.nats_url, "--listen",
                                 f"127.0.0.1:{self.host_port}", "--data-dir", f"{self.work}/host"], "host")
        wait_http(f"{self.base}/healthz")
        for _ in range(executors):
            self.add_executor()

    def _start(self, argv, name):
        env = dict(os.environ, EDGE_LOG=os.environ.get("BENCH_EDGE_LOG", "warn"))
        log = open(f"{self.work}/{name}.log", "w")
        if argv[0] == self.edge:
            argv = [argv[0], "--log-format", "json", *argv[1:]]
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
        proc.log_path = log.name
        self.procs.append(proc)
        return proc

    def add_executor(self, log_level=None):
        """Starts an executor with its own empty data dir; returns when it pulls jobs."""
        n, self.started_executors = self.started_executors, self.started_executors + 1
        if log_level:
            os.environ["BENCH_EDGE_LOG"], old = log_level, os.environ.get("BENCH_EDGE_LOG")
        proc = self._start([self.edge, "executor", "--nats-url", self.nats_url, "--id", f"bench-{n}",
                            "--concurrency", str(self.concurrency), "--data-dir", f"{self.work}/executor-{n}"],
                           f"executor-{n}")
        if log_level:
            if old is None:
                del os.environ["BENCH_EDGE_LOG"]
            else:
                os.environ["BENCH_EDGE_LOG"] = old
        self.executors.append(proc)
        deadline = time.time() + 30
        while f"bench-{n}" not in [e["id"] for e in json.loads(wait_http(f"{self.base}/v1/executors"))["executors"]]:
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(f"executor bench-{n} did not come up: see {proc.log_path}")
            time.sleep(0.05)
        return proc

    def stop_executor(self, proc):
        proc.terminate()
        proc.wait(timeout=30)

    def wait_log(self, proc, predicate, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for event in self.log_events(proc):
                if predicate(event):
                    return event
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args} exited: see {proc.log_path}")
            time.sleep(0.02)
        raise SystemExit(f"no such log line in {proc.log_path}")

    @staticmethod
    def log_events(proc):
        with open(proc.log_path) as f:
            for line in f:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    def upload(self, name, wasm_bytes):
        req = urllib.request.Request(f"{self.base}/v1/components?name={name}", data=wasm_bytes)
        return json.loads(urllib.request.urlopen(req).read())

    def run_job(self, component, args=()):
        body = json.dumps({"component": component, "args": list(args)}).encode()
        req = urllib.request.Request(f"{self.base}/v1/jobs?wait=30s", data=body,
                                     headers={"content-type": "application/json"})
        record = json.loads(urllib.request.urlopen(req).read())
        if record["status"] != "succeeded":
            raise SystemExit(f"job failed: {record}")
        return record

    def close(self):
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
