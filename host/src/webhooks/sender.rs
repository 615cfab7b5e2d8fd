//! Sends queued webhook deliveries: one pull at a time per slot from the shared
//! `webhook-senders` consumer, so any host can make any delivery.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind, consumer};
use edge_wire::{JobRecord, WebhookAttempt, WebhookState};
use futures::StreamExt as _;

use super::{Delivery, WebhookSecret, signature};
use crate::clock::now_rfc3339;
use crate::jobs::{JobStore, JobStoreError};

/// How long a pull waits before it is renewed.
const PULL_EXPIRES: Duration = Duration::from_secs(10);
/// Longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Attempts at recording an attempt against concurrent record changes.
const CAS_ATTEMPTS: usize = 8;

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Attempts before a delivery gives up (and waits for a redrive).
    pub max_attempts: u32,
    /// Backoff after the first failure; doubles after each one.
    pub retry_base: Duration,
    /// Time a receiver has to answer.
    pub timeout: Duration,
    /// Deliveries in flight per host.
    pub concurrency: usize,
}

/// One host's webhook sender.
pub struct Sender {
    config: SenderConfig,
    jobs: JobStore,
    secrets: jetstream::kv::Store,
    http: reqwest::Client,
}

impl Sender {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: SenderConfig, jobs: JobStore, secrets: jetstream::kv::Store) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("edge-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { config, jobs, secrets, http })
    }

    /// Sends deliveries until the process ends.
    pub async fn run(self, consumer: consumer::PullConsumer) {
        let this = Arc::new(self);
        let mut slots = tokio::task::JoinSet::new();
        for _ in 0..this.config.concurrency.max(1) {
            let (this, consumer) = (this.clone(), consumer.clone());
            slots.spawn(async move {
                loop {
                    match consumer.batch().max_messages(1).expires(PULL_EXPIRES).messages().await {
                        Ok(mut batch) => {
                            while let Some(message) = batch.next().await {
                                match message {
                                    Ok(message) => this.handle(message).await,
                                    Err(e) => tracing::warn!(error = %e, "webhook pull failed"),
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot pull webhook deliveries; retrying");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
        }
        while slots.join_next().await.is_some() {}
    }

    async fn handle(&self, message: jetstream::Message) {
        let attempt = message.info().map(|i| u32::try_from(i.delivered).unwrap_or(u32::MAX)).unwrap_or(1);
        let ack = match self.deliver(&message.payload, attempt).await {
            Ok(Outcome::Done) => AckKind::Ack,
            Ok(Outcome::Retry) => AckKind::Nak(Some(self.backoff(attempt))),
            Err(e) => {
                tracing::warn!(error = %e, "webhook delivery could not be recorded; retrying");
                AckKind::Nak(Some(self.backoff(attempt)))
            }
        };
        if let Err(e) = message.ack_with(ack).await {
            tracing::warn!(error = %e, "cannot ack a webhook delivery");
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.config.retry_base.saturating_mul(factor).min(MAX_BACKOFF)
    }

    async fn deliver(&self, payload: &[u8], attempt: u32) -> Result<Outcome, JobStoreError> {
        let Ok(delivery) = serde_json::from_slice::<Delivery>(payload) else {
            tracing::error!("dropping a webhook message that is not a delivery");
            return Ok(Outcome::Done);
        };
        let secret = match self.secrets.get(&delivery.job).await {
            Ok(Some(value)) => serde_json::from_slice::<WebhookSecret>(&value).ok(),
            Ok(None) => None,
            Err(e) => return Err(JobStoreError::Unavailable(e.to_string())),
        };
        let Some((record, _)) = self.jobs.get(&delivery.job).await? else { return Ok(Outcome::Done) };
        let current = record.webhook.as_ref().map(|w| (w.delivery_id.as_str(), w.state));
        let (Some(secret), Some((delivery_id, state))) = (secret, current) else { return Ok(Outcome::Done) };
        // A stale message of an earlier delivery, or one already made.
        if delivery_id != delivery.delivery_id || state == WebhookState::Delivered {
            return Ok(Outcome::Done);
        }

        // The body is the job's final record, without its webhook bookkeeping: the same
        // bytes on every attempt.
        let mut body_record = record.clone();
        body_record.webhook = None;
        let body = serde_json::to_vec(&body_record).map_err(|e| JobStoreError::Unavailable(e.to_string()))?;
        let timestamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let started = Instant::now();
        let at = now_rfc3339();
        let sent = self
            .http
            .post(&secret.url)
            .header("Content-Type", "application/json")
            .header("Edge-Delivery", &delivery.delivery_id)
            .header("Edge-Event", "job.done")
            .header(signature::HEADER, signature::sign(secret.secret.as_bytes(), timestamp, &body))
            .body(body)
            .send()
            .await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status_code, error) = match &sent {
            Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
            Ok(response) => {
                (Some(response.status().as_u16()), Some(format!("the receiver answered {}", response.status())))
            }
            Err(e) => (None, Some(e.to_string())),
        };
        let delivered = error.is_none();
        let gave_up = !delivered && attempt >= self.config.max_attempts;
        let state = match (delivered, gave_up) {
            (true, _) => WebhookState::Delivered,
            (false, true) => WebhookState::Failed,
            (false, false) => WebhookState::Retrying,
        };
        tracing::info!(job = %delivery.job, attempt, ?status_code, state = ?state, "webhook attempt");
        self.record_attempt(&delivery.job, WebhookAttempt { at, status_code, error, duration_ms }, state).await?;
        Ok(if delivered || gave_up { Outcome::Done } else { Outcome::Retry })
    }

    async fn record_attempt(
        &self,
        job: &str,
        attempt: WebhookAttempt,
        state: WebhookState,
    ) -> Result<(), JobStoreError> {
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, revision)) = self.jobs.get(job).await? else { return Ok(()) };
            let Some(webhook) = record.webhook.as_mut() else { return Ok(()) };
            webhook.attempts.push(attempt.clone());
            webhook.state = state;
            match self.jobs.update(&record, revision).await {
                Err(JobStoreError::Conflict) => continue,
                other => return other.map(drop),
            }
        }
        Err(JobStoreError::Conflict)
    }
}

enum Outcome {
    /// Delivered, given up, or nothing to do: take the message off the queue.
    Done,
    /// Try again after the backoff.
    Retry,
}

/// Queues a fresh delivery of a webhook that gave up.
///
/// # Errors
/// When NATS fails; `Ok(None)` when the job has no webhook that gave up.
pub async fn redrive(js: &jetstream::Context, jobs: &JobStore, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
    for _ in 0..CAS_ATTEMPTS {
        let Some((mut record, revision)) = jobs.get(id).await? else { return Ok(None) };
        let Some(webhook) = record.webhook.as_mut() else { return Ok(None) };
        if webhook.state != WebhookState::Failed {
            return Ok(None);
        }
        webhook.state = WebhookState::Pending;
        webhook.delivery_id = uuid::Uuid::now_v7().to_string();
        match jobs.update(&record, revision).await {
            Err(JobStoreError::Conflict) => continue,
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        super::enqueue(js, &record).await.map_err(|e| JobStoreError::Unavailable(e.to_string()))?;
        return Ok(Some(record));
    }
    Err(JobStoreError::Conflict)
}
