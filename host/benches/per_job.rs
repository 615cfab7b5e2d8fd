//! Executor per-job cost: a fresh store, instantiation, running `echo` and collecting its
//! output, in process — against `wasmtime run` of the same component, precompiled, as a
//! process per job (what a process-per-job platform pays).
//!
//! `cargo bench -p edge --bench per_job -- --guest-dir DIR --wasmtime PATH --json OUT`
//! Prints a table and writes the figures as JSON. Each figure is the distribution of single
//! jobs (p50, p99), with 1 task and with `--tasks` tasks running at once.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use clap::Parser;
use edge::runtime::{CancelSignal, ComponentCache, ComponentSource, EngineSettings, Ready, RunInput, Runtime};
use edge_wire::{ComponentKind, JobStatus, Limits};
use serde_json::json;
use sha2::{Digest as _, Sha256};

#[derive(Parser)]
struct Args {
    /// Directory with the built guests (`echo.wasm`).
    #[arg(long, env = "EDGE_GUEST_DIR")]
    guest_dir: PathBuf,
    /// The `wasmtime` CLI for the baseline.
    #[arg(long)]
    wasmtime: Option<PathBuf>,
    /// Jobs measured per in-process series.
    #[arg(long, default_value_t = 20_000)]
    iterations: usize,
    /// Processes measured per baseline series.
    #[arg(long, default_value_t = 300)]
    process_iterations: usize,
    /// Tasks (or processes) at once in the parallel series.
    #[arg(long, default_value_t = 2)]
    tasks: usize,
    /// Where to write the figures.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Ignored: `cargo bench` passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The one component the benchmark runs, held in memory.
struct OneComponent {
    bytes: Vec<u8>,
}

impl ComponentSource for OneComponent {
    async fn component_bytes(&self, _digest: &str) -> anyhow::Result<Vec<u8>> {
        Ok(self.bytes.clone())
    }
    async fn precompiled(&self, _key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(None)
    }
    async fn share_precompiled(&self, _key: &str, _code: Vec<u8>) -> anyhow::Result<()> {
        Ok(())
    }
}

const INPUT: &[u8] = b"hello from the benchmark\n";

fn limits() -> Limits {
    Limits { timeout_ms: 10_000, memory_mb: 64, fuel: None, max_output_bytes: 1 << 20 }
}

async fn run_one(runtime: &Runtime, ready: &Ready) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let input = RunInput {
        args: vec!["echo".into()],
        env: Vec::new(),
        stdin: INPUT.to_vec(),
        limits: limits(),
        sink: None,
        cancel: Arc::new(CancelSignal::default()),
    };
    let outcome = runtime.run(ready, input).await;
    let elapsed = started.elapsed();
    ensure!(outcome.status == JobStatus::Succeeded, "echo ended {:?}: {:?}", outcome.status, outcome.error);
    ensure!(outcome.stdout == INPUT, "echo printed {:?}", String::from_utf8_lossy(&outcome.stdout));
    Ok(elapsed)
}

/// `iterations` jobs split over `tasks` tasks on a runtime with that many threads.
fn in_process(ready: &Ready, runtime: &Runtime, tasks: usize, iterations: usize) -> anyhow::Result<Series> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(tasks).enable_all().build()?;
    rt.block_on(async {
        // Warm-up: first-touch of pool slots and caches.
        for _ in 0..200 {
            run_one(runtime, ready).await?;
        }
        let started = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..tasks {
            let (runtime, ready) = (runtime.clone(), ready.clone());
            handles.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(iterations / tasks);
                for _ in 0..iterations / tasks {
                    times.push(run_one(&runtime, &ready).await?);
                }
                anyhow::Ok(times)
            }));
        }
        let mut times = Vec::with_capacity(iterations);
        for handle in handles {
            times.extend(handle.await??);
        }
        Ok(Series::new(times, started.elapsed()))
    })
}

fn wasmtime_run_once(wasmtime: &Path, cwasm: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut child = Command::new(wasmtime)
        .args(["run", "--allow-precompiled"])
        .arg(cwasm)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    child.stdin.take().context("no stdin")?.write_all(INPUT)?;
    let output = child.wait_with_output()?;
    let elapsed = started.elapsed();
    ensure!(output.status.success() && output.stdout == INPUT, "wasmtime run failed: {:?}", output.status);
    Ok(elapsed)
}

fn process_per_job(wasmtime: &Path, cwasm: &Path, tasks: usize, iterations: usize) -> anyhow::Result<Series> {
    for _ in 0..5 {
        wasmtime_run_once(wasmtime, cwasm)?;
    }
    let started = Instant::now();
    let times = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                scope.spawn(|| (0..iterations / tasks).map(|_| wasmtime_run_once(wasmtime, cwasm)).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect::<anyhow::Result<Vec<_>>>()
    })?;
    ensure!(times.len() == iterations / tasks * tasks, "a baseline thread died");
    Ok(Series::new(times, started.elapsed()))
}

/// Single-job times of one series and its throughput.
struct Series {
    p50_us: f64,
    p99_us: f64,
    jobs_per_s: f64,
    jobs: usize,
}

impl Series {
    fn new(mut times: Vec<Duration>, total: Duration) -> Self {
        times.sort_unstable();
        let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
        Self {
            p50_us: pick(0.5),
            p99_us: pick(0.99),
            jobs_per_s: times.len() as f64 / total.as_secs_f64(),
            jobs: times.len(),
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({"jobs": self.jobs, "p50_us": self.p50_us, "p99_us": self.p99_us, "jobs_per_s": self.jobs_per_s})
    }
}

fn main() -> anyhow::Result<()> {
    // As the `edge` binary does, so jobs cost here what they cost in an executor.
    edge::logging::quiet_library_backtraces();
    let args = Args::parse();
    let wasm = args.guest_dir.join("echo.wasm");
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {} (run `just guests`)", wasm.display()))?;
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    // The executor's own engine settings: pooling, epochs, fuel-capable.
    let settings = EngineSettings { max_memory_mb: 64, concurrency: args.tasks as u32 * 2, fuel: true };
    let runtime = Runtime::new(settings)?;
    let cache_dir = tempfile::tempdir()?;
    let cache = ComponentCache::new(runtime.clone(), OneComponent { bytes }, cache_dir.path(), 4)?;
    let ready = tokio::runtime::Runtime::new()?.block_on(cache.get(&digest, ComponentKind::Command))?.0;

    let mut rows = vec![];
    for tasks in [1, args.tasks] {
        let series = in_process(&ready, &runtime, tasks, args.iterations)?;
        rows.push(("edge in-process", tasks, series));
    }
    if let Some(wasmtime) = &args.wasmtime {
        let cwasm = cache_dir.path().join("echo.cwasm");
        let status = Command::new(wasmtime).arg("compile").arg(&wasm).arg("-o").arg(&cwasm).status()?;
        if !status.success() {
            bail!("wasmtime compile failed");
        }
        for tasks in [1, args.tasks] {
            let series = process_per_job(wasmtime, &cwasm, tasks, args.process_iterations)?;
            rows.push(("wasmtime run (process per job, .cwasm)", tasks, series));
        }
    }

    println!(
        "{:<42} {:>5} {:>10} {:>10} {:>12}",
        "executor per-job cost (echo)", "tasks", "p50 µs", "p99 µs", "jobs/s"
    );
    for (name, tasks, s) in &rows {
        println!("{name:<42} {tasks:>5} {:>10.1} {:>10.1} {:>12.0}", s.p50_us, s.p99_us, s.jobs_per_s);
    }
    let mut ratios = vec![];
    for tasks in [1, args.tasks] {
        let find = |prefix: &str| rows.iter().find(|(n, t, _)| n.starts_with(prefix) && *t == tasks).map(|r| &r.2);
        if let (Some(edge), Some(base)) = (find("edge"), find("wasmtime")) {
            let ratio = base.p50_us / edge.p50_us;
            println!("tasks {tasks}: edge is {ratio:.0}x faster per job (p50)");
            ratios.push(json!({"tasks": tasks, "p50_speedup": ratio}));
        }
    }
    if let Some(path) = &args.json {
        let series: Vec<_> =
            rows.iter().map(|(name, tasks, s)| json!({"name": name, "tasks": tasks, "figures": s.json()})).collect();
        let out = json!({"component": "echo", "input_bytes": INPUT.len(), "series": series, "ratios": ratios});
        std::fs::write(path, serde_json::to_vec_pretty(&out)?)?;
    }
    Ok(())
}
