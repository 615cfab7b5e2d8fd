//! `edge executor`: a worker node.

use std::time::Duration;

use clap::Args;
use tokio::sync::watch;

use super::{NodeArgs, shutdown_signal};
use crate::executor::{Executor, ExecutorConfig};
use crate::nats;
use crate::runtime::{EngineSettings, Runtime};

/// Jobs run at once unless configured.
const DEFAULT_CONCURRENCY: u32 = 4;
/// Components kept ready in memory unless configured.
const DEFAULT_CACHE_CAPACITY: usize = 128;
/// Largest job memory unless configured.
const DEFAULT_MAX_MEMORY_MB: u64 = 1024;
/// How long a job runs before it is marked running, unless configured.
const DEFAULT_ANNOUNCE_AFTER: &str = "20ms";

/// Run jobs.
#[derive(Args, Clone)]
pub struct ExecutorCommand {
    #[command(flatten)]
    pub node: NodeArgs,

    #[command(flatten)]
    pub worker: WorkerArgs,
}

/// How an executor runs jobs.
#[derive(Args, Clone)]
pub struct WorkerArgs {
    /// Jobs this executor runs at once.
    #[arg(long, env = "EDGE_CONCURRENCY", default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,

    /// Largest memory a job may use here, in MiB (sizes the instance pool).
    #[arg(long, env = "EDGE_MAX_MEMORY_MB", default_value_t = DEFAULT_MAX_MEMORY_MB, value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub max_memory_mb: u64,

    /// How long a job may go without an ack before JetStream hands it to another
    /// executor (e.g. after a crash). Sets the shared consumer's AckWait; running jobs
    /// renew it every third of this. Default: the definition in nats/consumers/.
    #[arg(long, env = "EDGE_ACK_WAIT", value_parser = humantime::parse_duration)]
    pub ack_wait: Option<Duration>,

    /// Name of this executor in job records (default: host name and process id).
    #[arg(long, env = "EDGE_EXECUTOR_ID")]
    pub id: Option<String>,

    /// Components kept ready in memory.
    #[arg(long, env = "EDGE_CACHE_CAPACITY", default_value_t = DEFAULT_CACHE_CAPACITY)]
    pub cache_capacity: usize,

    /// How long a job runs before its record says `running`, a `status` event goes out and
    /// its output is streamed. A job that ends sooner has `done` as its only event (its
    /// record holds the output): short jobs then cost two stored messages fewer. `0s`
    /// announces every job.
    #[arg(long, env = "EDGE_ANNOUNCE_AFTER", default_value = DEFAULT_ANNOUNCE_AFTER, value_parser = humantime::parse_duration)]
    pub announce_after: Duration,
}

impl ExecutorCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        let (stop_tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        run_executor(&self.node, &self.worker, stop).await
    }
}

/// Runs one executor until `stop` turns true.
///
/// # Errors
/// When NATS cannot be reached or set up, or the engine cannot be built.
pub async fn run_executor(node: &NodeArgs, worker: &WorkerArgs, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let (client, js) = node.connect("edge-executor").await?;
    let platform = nats::ensure_platform(client, js).await?;
    let consumer = nats::ensure_consumer(&platform.js, nats::EXECUTORS_CONSUMER, worker.ack_wait).await?;
    let ack_wait = consumer.cached_info().config.ack_wait;
    let runtime = Runtime::new(EngineSettings {
        max_memory_mb: worker.max_memory_mb,
        concurrency: worker.concurrency,
        fuel: true,
    })?;
    let config = ExecutorConfig {
        id: worker.id.clone().unwrap_or_else(default_executor_id),
        concurrency: worker.concurrency,
        ack_wait,
        data_dir: node.data_dir.clone(),
        cache_capacity: worker.cache_capacity,
        announce_after: worker.announce_after,
    };
    Executor::new(config, &platform, runtime)?.run(consumer, stop).await
}

fn default_executor_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "executor".to_owned());
    format!("{host}-{}", std::process::id())
}
