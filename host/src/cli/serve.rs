//! `edge serve`: the HTTP host.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::{DEFAULT_LISTEN, NodeArgs, shutdown_signal};
use crate::api::{self, ApiLimits};
use crate::auth::ApiKeys;
use crate::components::ComponentStore;
use crate::components::NatsSource;
use crate::functions::Functions;
use crate::jobs::{DeadLetters, Dispatcher, IdempotencyKeys, JobStore, LimitPolicy, limits};
use crate::nats;
use crate::runtime::{ComponentCache, EngineSettings, RequestLimits, Runtime};
use crate::webhooks::UrlPolicy;
use crate::webhooks::Webhooks;
use crate::webhooks::sender::{Sender, SenderConfig};
use std::sync::Arc;

/// Largest component upload unless configured.
const DEFAULT_MAX_COMPONENT_BYTES: usize = 50 << 20;
/// Largest job request body unless configured.
const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;
/// WebSocket outbox size unless configured.
const DEFAULT_WS_BUFFER_MESSAGES: usize = 256;
/// Request head limit unless configured: browsers and proxies commonly stop at 8–32 KiB.
const DEFAULT_MAX_HEADER_BYTES: usize = 32 << 10;
/// Longest `?wait=` unless configured.
const DEFAULT_MAX_WAIT: &str = "5m";

/// Serve the HTTP API.
#[derive(Args)]
pub struct ServeCommand {
    #[command(flatten)]
    pub node: NodeArgs,

    /// Address to listen on.
    #[arg(long, env = "EDGE_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub host: HostLimitArgs,

    #[command(flatten)]
    pub webhooks: WebhookArgs,

    #[command(flatten)]
    pub functions: FunctionArgs,

    #[command(flatten)]
    pub ui: UiArgs,

    #[command(flatten)]
    pub auth: AuthArgs,
}

/// Who may use the API.
#[derive(Args, Clone)]
pub struct AuthArgs {
    /// API key file (JSON: `{"keys": [{"name","tenant","role","sha256"}]}`; `edge keys new`
    /// makes entries). Without it the API is open: everyone is admin of tenant `default`.
    #[arg(long, env = "EDGE_API_KEYS_FILE")]
    pub api_keys: Option<std::path::PathBuf>,

    /// The same as --api-keys, inline: the key file's JSON itself (for a secret in the
    /// environment rather than on disk).
    #[arg(long, env = "EDGE_API_KEYS", hide_env_values = true, conflicts_with = "api_keys")]
    pub api_keys_json: Option<String>,
}

impl AuthArgs {
    /// The keys, or an open API (with a warning) when no file is given.
    ///
    /// # Errors
    /// When the file cannot be read or is malformed.
    pub fn keys(&self) -> anyhow::Result<ApiKeys> {
        match (&self.api_keys, &self.api_keys_json) {
            (Some(path), _) => ApiKeys::load(path),
            (None, Some(json)) => ApiKeys::parse(json).context("in --api-keys-json (EDGE_API_KEYS)"),
            (None, None) => {
                tracing::warn!("no API keys configured (--api-keys): the API is open to anyone who can reach it");
                Ok(ApiKeys::open())
            }
        }
    }
}

/// Where the web UI comes from.
#[derive(Args, Clone)]
pub struct UiArgs {
    /// Directory with the built web UI (`just ui` writes frontend/dist), served at `/`.
    #[arg(long, env = "EDGE_UI_DIR", default_value = "frontend/dist")]
    pub ui_dir: std::path::PathBuf,
}

/// How this host serves edge functions.
#[derive(Args, Clone)]
pub struct FunctionArgs {
    /// Time a function has for one request, body included.
    #[arg(long, env = "EDGE_FN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub fn_timeout: Duration,

    /// Memory cap of one request's instance, in MiB.
    #[arg(long, env = "EDGE_FN_MEMORY_MB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub fn_memory_mb: u64,

    /// Requests served at once (sizes the instance pool).
    #[arg(long, env = "EDGE_FN_CONCURRENCY", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub fn_concurrency: u32,
}

/// Components kept ready in memory for functions.
const FUNCTION_CACHE_CAPACITY: usize = 256;

/// How this host sends webhooks.
#[derive(Args, Clone)]
pub struct WebhookArgs {
    /// Only these webhook hosts are accepted (comma-separated; empty: any not denied).
    #[arg(long, env = "EDGE_WEBHOOK_ALLOW_HOSTS", value_delimiter = ',')]
    pub webhook_allow_hosts: Vec<String>,

    /// Webhook hosts never accepted (comma-separated).
    #[arg(long, env = "EDGE_WEBHOOK_DENY_HOSTS", value_delimiter = ',', default_value = DEFAULT_WEBHOOK_DENY)]
    pub webhook_deny_hosts: Vec<String>,

    /// Attempts before a delivery gives up and waits for a redrive.
    #[arg(long, env = "EDGE_WEBHOOK_MAX_ATTEMPTS", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub webhook_max_attempts: u32,

    /// Backoff after the first failed attempt; it doubles after each further one.
    #[arg(long, env = "EDGE_WEBHOOK_RETRY_BASE", default_value = "1s", value_parser = humantime::parse_duration)]
    pub webhook_retry_base: Duration,

    /// Time a receiver has to answer.
    #[arg(long, env = "EDGE_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,
}

/// Cloud metadata endpoints: a webhook must never reach them.
const DEFAULT_WEBHOOK_DENY: &str = "169.254.169.254,metadata.google.internal";
/// Webhook deliveries in flight per host.
const WEBHOOK_CONCURRENCY: usize = 8;

impl WebhookArgs {
    fn policy(&self) -> UrlPolicy {
        let lower = |hosts: &[String]| -> Vec<String> {
            hosts.iter().map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
        };
        UrlPolicy { allow_hosts: lower(&self.webhook_allow_hosts), deny_hosts: lower(&self.webhook_deny_hosts) }
    }

    fn sender(&self) -> SenderConfig {
        SenderConfig {
            max_attempts: self.webhook_max_attempts,
            retry_base: self.webhook_retry_base,
            timeout: self.webhook_timeout,
            concurrency: WEBHOOK_CONCURRENCY,
        }
    }
}

/// Limits of the host's API and of the jobs it accepts.
#[derive(Args, Clone)]
pub struct HostLimitArgs {
    /// Largest component upload, in bytes.
    #[arg(long, env = "EDGE_MAX_COMPONENT_BYTES", default_value_t = DEFAULT_MAX_COMPONENT_BYTES)]
    pub max_component_bytes: usize,

    /// Largest job request body (JSON, stdin included), in bytes.
    #[arg(long, env = "EDGE_MAX_REQUEST_BYTES", default_value_t = DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,

    /// Longest `?wait=` a submission may ask for.
    #[arg(long, env = "EDGE_MAX_WAIT", default_value = DEFAULT_MAX_WAIT, value_parser = humantime::parse_duration)]
    pub max_wait: Duration,

    /// Messages a WebSocket client may fall behind before its events are dropped.
    #[arg(long, env = "EDGE_WS_BUFFER_MESSAGES", default_value_t = DEFAULT_WS_BUFFER_MESSAGES)]
    pub ws_buffer_messages: usize,

    /// Largest request head (all header names and values together), in bytes: `431` above.
    #[arg(long, env = "EDGE_MAX_HEADER_BYTES", default_value_t = DEFAULT_MAX_HEADER_BYTES)]
    pub max_header_bytes: usize,

    /// Largest `limits.timeout_ms` a job may ask for.
    #[arg(long, env = "EDGE_MAX_TIMEOUT_MS", default_value_t = limits::MAX_TIMEOUT_MS)]
    pub max_timeout_ms: u64,

    /// Largest `limits.memory_mb` a job may ask for (executors need `--max-memory-mb` this high).
    #[arg(long, env = "EDGE_MAX_MEMORY_MB", default_value_t = limits::MAX_MEMORY_MB)]
    pub max_memory_mb: u64,

    /// Largest `limits.max_output_bytes` a job may ask for.
    #[arg(long, env = "EDGE_MAX_OUTPUT_BYTES", default_value_t = limits::MAX_OUTPUT_BYTES)]
    pub max_output_bytes: u64,
}

impl HostLimitArgs {
    fn policy(&self) -> LimitPolicy {
        let defaults = LimitPolicy::default();
        LimitPolicy {
            max_timeout_ms: self.max_timeout_ms,
            default_timeout_ms: defaults.default_timeout_ms.min(self.max_timeout_ms),
            max_memory_mb: self.max_memory_mb,
            default_memory_mb: defaults.default_memory_mb.min(self.max_memory_mb),
            max_output_bytes: self.max_output_bytes,
            default_max_output_bytes: defaults.default_max_output_bytes.min(self.max_output_bytes),
        }
    }

    fn api(&self) -> ApiLimits {
        ApiLimits {
            max_component_bytes: self.max_component_bytes,
            max_request_bytes: self.max_request_bytes,
            max_wait: self.max_wait,
            ws_buffer_messages: self.ws_buffer_messages,
            max_header_bytes: self.max_header_bytes,
        }
    }
}

impl ServeCommand {
    pub async fn execute(self) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))?;
        let options = HostOptions {
            host: &self.host,
            webhooks: &self.webhooks,
            functions: &self.functions,
            ui: &self.ui,
            keys: self.auth.keys()?,
        };
        serve(listener, &self.node, options, shutdown_signal()).await
    }
}

/// Everything a host is configured with besides its node settings.
pub struct HostOptions<'a> {
    pub host: &'a HostLimitArgs,
    pub webhooks: &'a WebhookArgs,
    pub functions: &'a FunctionArgs,
    pub ui: &'a UiArgs,
    pub keys: ApiKeys,
}

/// Runs a host on `listener` until `shutdown` resolves.
///
/// # Errors
/// When NATS cannot be reached or set up, or serving fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: &NodeArgs,
    options: HostOptions<'_>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let HostOptions { host, webhooks, functions, ui, keys } = options;
    let (client, js) = node.connect("edge-host").await?;
    let platform = nats::ensure_platform(client, js).await?;
    let metrics = crate::telemetry::install()?;
    tokio::spawn(crate::telemetry::observe_completions(platform.client.clone()));
    let dispatcher = Dispatcher {
        components: ComponentStore::new(platform.names.clone(), platform.components.clone()).with_name_cache(),
        jobs: JobStore::new(platform.jobs.clone(), platform.job_queue.clone()),
        js: platform.js.clone(),
        client: platform.client.clone(),
        policy: host.policy(),
        webhooks: Webhooks { secrets: platform.webhooks.clone(), policy: webhooks.policy() },
        idempotency: IdempotencyKeys::new(platform.idempotency.clone()),
    };
    let senders = nats::ensure_consumer(&platform.js, nats::WEBHOOK_SENDERS_CONSUMER, None).await?;
    let sender = Sender::new(webhooks.sender(), dispatcher.jobs.clone(), platform.webhooks.clone())?;
    tokio::spawn(sender.run(senders));
    tracing::info!(consumer = nats::names::WEBHOOK_SENDERS_CONSUMER, "webhook sender ready");
    let dead_letter_handlers = nats::ensure_consumer(&platform.js, nats::DEAD_LETTER_HANDLERS_CONSUMER, None).await?;
    let dead_letters =
        DeadLetters { js: platform.js.clone(), jobs: dispatcher.jobs.clone(), specs: platform.dead_letters.clone() };
    tokio::spawn(dead_letters.run(dead_letter_handlers));
    tokio::spawn({
        let (client, dispatcher, keys) = (platform.client.clone(), dispatcher.clone(), keys.clone());
        async move {
            if let Err(e) = crate::micro::serve(client, dispatcher, keys).await {
                tracing::error!(error = %e, "the NATS micro service stopped");
            }
        }
    });
    let runtime = Runtime::new(EngineSettings {
        max_memory_mb: functions.fn_memory_mb,
        concurrency: functions.fn_concurrency,
        fuel: false,
    })?;
    let source = NatsSource { components: dispatcher.components.clone(), precompiled: platform.precompiled.clone() };
    let cache = ComponentCache::new(runtime, source, &node.data_dir.join("precompiled"), FUNCTION_CACHE_CAPACITY)?;
    let limits = RequestLimits { timeout: functions.fn_timeout, memory_mb: functions.fn_memory_mb };
    let functions = Arc::new(Functions::new(cache, dispatcher.components.clone(), limits));
    let state = std::sync::Arc::new(api::Shared {
        dispatcher,
        functions,
        executors: platform.executors.clone(),
        dead_letters: platform.dead_letters.clone(),
        keys,
        limits: host.api(),
        metrics,
    });
    let addr = listener.local_addr()?;
    tracing::info!(%addr, nats = %node.nats_url, "edge host listening on http://{addr}");
    let app = api::router(state).merge(api::ui_routes(&ui.ui_dir));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
