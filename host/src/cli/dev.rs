//! `edge dev`: nats-server, a host and executors on this machine, in one command.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Args, Parser};
use tokio::sync::watch;

use super::executor::{WorkerArgs, run_executor};
use super::serve::{FunctionArgs, HostLimitArgs, HostOptions, UiArgs, WebhookArgs, serve};
use super::{DEFAULT_LISTEN, NodeArgs, shutdown_signal};

/// The server config of `nats/`, written next to the dev data.
const NATS_CONFIG: &str = include_str!("../../../nats/nats-server.conf");
/// How long nats-server may take to accept connections.
const NATS_START_TIMEOUT: Duration = Duration::from_secs(15);

/// Run NATS, the host and executors together on this machine.
#[derive(Args)]
pub struct DevCommand {
    /// Directory for NATS data and executor caches.
    #[arg(long, env = "EDGE_DATA_DIR", default_value = ".edge-dev")]
    pub data_dir: PathBuf,

    /// Address the host listens on.
    #[arg(long, env = "EDGE_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Port for nats-server on 127.0.0.1.
    #[arg(long, env = "EDGE_NATS_PORT", default_value_t = 4222)]
    pub nats_port: u16,

    /// The nats-server binary (default: .venv/bin/nats-server, then PATH).
    #[arg(long, env = "EDGE_NATS_SERVER")]
    pub nats_server: Option<PathBuf>,

    /// Executors to start.
    #[arg(long, env = "EDGE_EXECUTORS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub executors: u32,

    #[command(flatten)]
    pub worker: WorkerArgs,
}

/// Host settings at their defaults (and their env variables), for `dev`.
#[derive(Parser)]
struct HostDefaults {
    #[command(flatten)]
    host: HostLimitArgs,
    #[command(flatten)]
    webhooks: WebhookArgs,
    #[command(flatten)]
    functions: FunctionArgs,
    #[command(flatten)]
    ui: UiArgs,
}

impl DevCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data_dir).with_context(|| format!("creating {}", self.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))?;
        let addr = listener.local_addr()?;
        let mut nats = start_nats(&self.nats_server_binary()?, &self.data_dir, self.nats_port).await?;
        let nats_url = format!("nats://127.0.0.1:{}", self.nats_port);

        let (stop_tx, stop) = watch::channel(false);
        let HostDefaults { mut host, webhooks, functions, ui } = HostDefaults::try_parse_from(["edge"])?;
        // A fresh admin key of tenant `default` each run; only its hash is written down.
        let (dev_key, entry) = crate::auth::new_key("dev", crate::auth::DEFAULT_TENANT, crate::auth::Role::Admin)?;
        let keys_file = self.data_dir.join("api-keys.json");
        crate::auth::write_key_file(&keys_file, vec![entry])?;
        let keys = crate::auth::ApiKeys::load(&keys_file)?;
        host.max_memory_mb = host.max_memory_mb.min(self.worker.max_memory_mb);
        let host_node = NodeArgs {
            nats_url: nats_url.clone(),
            data_dir: self.data_dir.join("host"),
            nats_user: None,
            nats_password: None,
        };
        let mut host_stop = stop.clone();
        let host_task = tokio::spawn(async move {
            let options = HostOptions { host: &host, webhooks: &webhooks, functions: &functions, ui: &ui, keys };
            serve(listener, &host_node, options, async move {
                let _ = host_stop.wait_for(|stop| *stop).await;
            })
            .await
        });
        let mut executors = tokio::task::JoinSet::new();
        for n in 1..=self.executors {
            let node = NodeArgs {
                nats_url: nats_url.clone(),
                data_dir: self.data_dir.join(format!("executor-{n}")),
                nats_user: None,
                nats_password: None,
            };
            let mut worker = self.worker.clone();
            worker.id.get_or_insert_with(|| format!("dev-executor-{n}"));
            let stop = stop.clone();
            executors.spawn(async move { run_executor(&node, &worker, stop).await });
        }

        println!();
        println!("  edge is up");
        println!("    API        http://{addr}   (try: curl http://{addr}/healthz)");
        println!("    API key    {dev_key}   (admin of tenant `default`; new each run)");
        println!("    web UI     http://{addr}/   (log in with the key)");
        println!("    metrics    http://{addr}/metrics");
        println!("    NATS       {nats_url}   (JetStream data in {}/nats)", self.data_dir.display());
        println!("    executors  {} x concurrency {}", self.executors, self.worker.concurrency);
        println!("  export EDGE_API_KEY={dev_key}");
        println!(
            "  Upload:  curl -H \"Authorization: Bearer $EDGE_API_KEY\" --data-binary @hello.wasm 'http://{addr}/v1/components?name=hello'"
        );
        println!(
            "  Run:     curl -H \"Authorization: Bearer $EDGE_API_KEY\" -d '{{\"component\":\"hello\",\"args\":[\"you\"]}}' 'http://{addr}/v1/jobs?wait=30s'"
        );
        println!("  Ctrl-C stops everything.");
        println!();

        tokio::select! {
            () = shutdown_signal() => {}
            status = nats.wait() => bail!("nats-server exited: {status:?}"),
        }
        let _ = stop_tx.send(true);
        let _ = host_task.await;
        while executors.join_next().await.is_some() {}
        stop_nats(&mut nats).await;
        Ok(())
    }

    fn nats_server_binary(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.nats_server {
            return Ok(path.clone());
        }
        let venv = Path::new(".venv/bin/nats-server");
        if venv.exists() {
            return Ok(venv.to_path_buf());
        }
        Ok(PathBuf::from("nats-server"))
    }
}

/// How long nats-server gets to flush JetStream after SIGTERM before it is killed.
const NATS_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Asks nats-server to stop (SIGTERM lets JetStream flush), then makes sure it has.
async fn stop_nats(nats: &mut tokio::process::Child) {
    if let Some(pid) = nats.id().and_then(|pid| i32::try_from(pid).ok()) {
        // SAFETY: plain kill(2) on our own child's pid, which we have not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    if tokio::time::timeout(NATS_STOP_TIMEOUT, nats.wait()).await.is_err() {
        let _ = nats.kill().await;
    }
}

async fn start_nats(binary: &Path, data_dir: &Path, port: u16) -> anyhow::Result<tokio::process::Child> {
    let config = data_dir.join("nats-server.conf");
    std::fs::write(&config, NATS_CONFIG)?;
    let log = std::fs::File::create(data_dir.join("nats-server.log"))?;
    let child = tokio::process::Command::new(binary)
        .arg("-c")
        .arg(&config)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(data_dir.join("nats"))
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {} (run `just setup`, or pass --nats-server)", binary.display()))?;
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if started.elapsed() > NATS_START_TIMEOUT {
            bail!("nats-server did not accept connections on port {port}; see {}/nats-server.log", data_dir.display());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(child)
}
