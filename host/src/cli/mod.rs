//! Command-line interface: one struct per subcommand, each with `execute()`.

mod client;
mod dev;
mod executor;
mod keys;
mod serve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

/// Where a local nats-server listens unless told otherwise.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
/// Where the host listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Where clients find the host unless told otherwise.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// edge: run WebAssembly components as sandboxed jobs, dispatched over NATS JetStream.
#[derive(Parser)]
#[command(name = "edge", version, about, long_about = None)]
pub struct Cli {
    /// Log format (level from EDGE_LOG, e.g. `debug` or `edge=debug`; default `info`).
    #[arg(long, global = true, env = "EDGE_LOG_FORMAT", value_enum, default_value = "human")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand)]
pub enum Command {
    /// Everything on one machine: nats-server, the host and executors.
    Dev(dev::DevCommand),
    /// The HTTP host: API, uploads, job submission.
    Serve(serve::ServeCommand),
    /// A worker node that runs jobs.
    Executor(executor::ExecutorCommand),
    /// Upload a component.
    Upload(client::UploadCommand),
    /// Run a job and wait for its result.
    Run(client::RunCommand),
    /// Show recent jobs, or one job.
    Jobs(client::JobsCommand),
    /// Make API keys.
    Keys(keys::KeysCommand),
}

impl Command {
    /// Runs the command to its end.
    ///
    /// # Errors
    /// Whatever stopped it, with context.
    pub async fn execute(self) -> anyhow::Result<()> {
        match self {
            Self::Dev(cmd) => cmd.execute().await,
            Self::Serve(cmd) => cmd.execute().await,
            Self::Executor(cmd) => cmd.execute().await,
            Self::Upload(cmd) => cmd.execute().await,
            Self::Run(cmd) => cmd.execute().await,
            Self::Jobs(cmd) => cmd.execute().await,
            Self::Keys(cmd) => cmd.execute().await,
        }
    }
}

/// How a node reaches NATS and where it keeps local files.
#[derive(Args, Clone)]
pub struct NodeArgs {
    /// NATS server URL (comma-separate several for a cluster).
    #[arg(long, env = "EDGE_NATS_URL", default_value = DEFAULT_NATS_URL)]
    pub nats_url: String,

    /// Directory for this node's local state (caches).
    #[arg(long, env = "EDGE_DATA_DIR", default_value = ".edge-data")]
    pub data_dir: PathBuf,

    /// NATS user, for a server with users (nats/nats-server.auth.conf); with --nats-password.
    #[arg(long, env = "EDGE_NATS_USER", requires = "nats_password")]
    pub nats_user: Option<String>,

    /// NATS password of --nats-user.
    #[arg(long, env = "EDGE_NATS_PASSWORD", hide_env_values = true, requires = "nats_user")]
    pub nats_password: Option<String>,
}

impl NodeArgs {
    /// Connects to NATS as this node.
    ///
    /// # Errors
    /// As [`crate::nats::connect`].
    pub async fn connect(
        &self,
        client_name: &str,
    ) -> anyhow::Result<(async_nats::Client, async_nats::jetstream::Context)> {
        let credentials = self.nats_user.clone().zip(self.nats_password.clone());
        crate::nats::connect(&self.nats_url, client_name, credentials).await
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
