//! One executor node: its slots pulling jobs, the cancel listener and the heartbeat. What
//! happens to each job is in `job.rs`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use edge_wire::ExecutorInfo;
use futures::StreamExt as _;
use tokio::sync::watch;

use super::cancels::Cancels;
use super::feed::JobFeed;
use crate::clock::now_rfc3339;
use crate::components::ComponentStore;
use crate::components::NatsSource;
use crate::jobs::JobStore;
use crate::nats::names;
use crate::nats::{EventPublisher, Platform};
use crate::runtime::{ComponentCache, Runtime};

/// How one executor is set up.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// Name in job records and logs.
    pub id: String,
    /// Jobs run at once.
    pub concurrency: u32,
    /// The consumer's AckWait; in-progress acks go out at a third of it.
    pub ack_wait: Duration,
    /// Where precompiled code is cached.
    pub data_dir: PathBuf,
    /// Components kept ready in memory.
    pub cache_capacity: usize,
    /// How long a job runs before it is marked `running` and its output streamed; a job
    /// that ends sooner costs no such writes.
    pub announce_after: Duration,
}

/// One executor.
pub struct Executor {
    pub(super) config: ExecutorConfig,
    pub(super) client: async_nats::Client,
    pub(super) js: jetstream::Context,
    pub(super) jobs: JobStore,
    pub(super) events: EventPublisher,
    pub(super) cache: ComponentCache<NatsSource>,
    /// Jobs running here, and cancels for jobs that may yet arrive.
    pub(super) cancels: Cancels,
    /// Jobs finished here.
    pub(super) done: AtomicU64,
    pub(super) heartbeats: jetstream::kv::Store,
    pub(super) started_at: String,
}

/// How often an executor says it is alive (the bucket forgets it after 10 s of silence).
const HEARTBEAT: Duration = Duration::from_secs(2);

impl Executor {
    /// Sets up the cache over `platform`'s stores.
    ///
    /// # Errors
    /// When the cache directory or the linker cannot be made.
    pub fn new(config: ExecutorConfig, platform: &Platform, runtime: Runtime) -> anyhow::Result<Self> {
        let source = NatsSource {
            components: ComponentStore::new(platform.names.clone(), platform.components.clone()),
            precompiled: platform.precompiled.clone(),
        };
        let cache_dir = config.data_dir.join("precompiled");
        let cache = ComponentCache::new(runtime, source, &cache_dir, config.cache_capacity)?;
        Ok(Self {
            client: platform.client.clone(),
            js: platform.js.clone(),
            jobs: JobStore::new(platform.jobs.clone(), platform.job_queue.clone()),
            events: EventPublisher::new(platform.js.clone()),
            cache,
            config,
            cancels: Cancels::default(),
            done: AtomicU64::new(0),
            heartbeats: platform.executors.clone(),
            started_at: now_rfc3339(),
        })
    }

    /// Pulls and runs jobs until `stop` turns true; then finishes the jobs it has.
    ///
    /// # Errors
    /// When the cancel subscription cannot be made.
    pub async fn run(self, consumer: consumer::PullConsumer, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let info = consumer.cached_info();
        let feed = Arc::new(JobFeed::new(&self.js, &self.client, &info.stream_name, &info.name).await?);
        let this = Arc::new(self);
        let cancels = this.client.subscribe(names::all_cancel_subject()).await?;
        let listener = tokio::spawn(this.clone().listen_for_cancels(cancels));
        let heartbeat = tokio::spawn(this.clone().heartbeat());
        tracing::info!(executor = %this.config.id, concurrency = this.config.concurrency, "executor ready");
        let mut slots = tokio::task::JoinSet::new();
        for _ in 0..this.config.concurrency {
            slots.spawn(this.clone().slot(feed.clone(), stop.clone()));
        }
        while slots.join_next().await.is_some() {}
        listener.abort();
        heartbeat.abort();
        let _ = this.heartbeats.delete(&this.config.id).await;
        tracing::info!(executor = %this.config.id, "executor stopped");
        Ok(())
    }

    async fn listen_for_cancels(self: Arc<Self>, mut cancels: async_nats::Subscriber) {
        while let Some(message) = cancels.next().await {
            let Some(id) = names::parse_cancel_subject(&message.subject) else { continue };
            if self.cancels.cancel(id) {
                tracing::info!(job = id, "cancelling");
            }
        }
    }

    async fn heartbeat(self: Arc<Self>) {
        let mut ticker = tokio::time::interval(HEARTBEAT);
        loop {
            ticker.tick().await;
            let info = ExecutorInfo {
                id: self.config.id.clone(),
                concurrency: self.config.concurrency,
                running: u32::try_from(self.cancels.running()).unwrap_or(u32::MAX),
                done: self.done.load(Ordering::Relaxed),
                started_at: self.started_at.clone(),
                last_seen: now_rfc3339(),
            };
            let Ok(value) = serde_json::to_vec(&info) else { continue };
            if let Err(e) = self.heartbeats.put(&self.config.id, value.into()).await {
                tracing::warn!(error = %e, "cannot send heartbeat");
            }
        }
    }

    /// One unit of concurrency: asks for a single job at a time, so an executor never
    /// holds jobs it cannot start while others sit idle.
    async fn slot(self: Arc<Self>, feed: Arc<JobFeed>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let next = tokio::select! {
                next = feed.next() => next,
                _ = stop.changed() => None,
            };
            match next {
                Some(message) => self.handle(message).await,
                None => break,
            }
        }
    }
}
