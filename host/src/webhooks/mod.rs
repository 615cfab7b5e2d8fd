//! Webhooks: a job may name a URL that receives its final record, signed, when it ends.
//!
//! The flow: submit stores the URL and secret in the `edge_webhooks` bucket (never in the
//! record) → the `done` event's publisher queues a delivery on EDGE_WEBHOOKS → any host's
//! [`sender`] POSTs it, records each attempt in the job record, and retries failures with
//! exponential backoff through JetStream (a host restart loses nothing) until it succeeds
//! or gives up; a redrive queues a fresh delivery.
//!
//! Receivers verify `Edge-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
//! HMAC-SHA256(secret, "<t>.<body>"); see [`signature`].

mod policy;
pub mod sender;
pub mod signature;

pub use policy::{UrlPolicy, WebhookError};

use async_nats::jetstream::{self, kv, message::PublishMessage};
use bytes::Bytes;
use edge_wire::{JobRecord, WebhookRequest, WebhookState, WebhookStatus};
use serde::{Deserialize, Serialize};

use crate::nats::names;

/// What the `edge_webhooks` bucket keeps per job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookSecret {
    pub url: String,
    pub secret: String,
}

/// One queued delivery on EDGE_WEBHOOKS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub job: String,
    pub delivery_id: String,
}

/// Checks webhook requests and keeps their secrets.
#[derive(Clone)]
pub struct Webhooks {
    pub secrets: kv::Store,
    pub policy: UrlPolicy,
}

impl Webhooks {
    /// Checks `request` and stores its secret for job `job_id`; returns what the record
    /// shows.
    ///
    /// # Errors
    /// [`WebhookError`] for a refused URL or secret, or when NATS fails.
    pub async fn register(&self, job_id: &str, request: &WebhookRequest) -> Result<WebhookStatus, WebhookError> {
        check(&self.policy, request)?;
        let stored = WebhookSecret { url: request.url.clone(), secret: request.secret.clone() };
        let value = serde_json::to_vec(&stored).map_err(|e| WebhookError::Unavailable(e.to_string()))?;
        self.secrets.put(job_id, value.into()).await.map_err(|e| WebhookError::Unavailable(e.to_string()))?;
        Ok(WebhookStatus {
            url: request.url.clone(),
            delivery_id: uuid::Uuid::now_v7().to_string(),
            state: WebhookState::Pending,
            attempts: Vec::new(),
        })
    }
}

/// Checks a webhook request's URL against `policy` and the length of its secret.
///
/// # Errors
/// [`WebhookError::Invalid`] saying why it is refused.
pub fn check(policy: &UrlPolicy, request: &WebhookRequest) -> Result<(), WebhookError> {
    policy.check(&request.url)?;
    if request.secret.is_empty() || request.secret.len() > policy::MAX_SECRET_BYTES {
        return Err(WebhookError::Invalid(format!("webhook.secret must be 1 to {} bytes", policy::MAX_SECRET_BYTES)));
    }
    Ok(())
}

/// Queues the delivery of `record`'s webhook, if it has one waiting. Deduplicated per
/// delivery id, so whoever publishes `done` may call it again safely.
///
/// # Errors
/// When JetStream does not confirm.
pub async fn enqueue(js: &jetstream::Context, record: &JobRecord) -> anyhow::Result<()> {
    let Some(webhook) = &record.webhook else { return Ok(()) };
    if webhook.state != WebhookState::Pending {
        return Ok(());
    }
    let delivery = Delivery { job: record.id.clone(), delivery_id: webhook.delivery_id.clone() };
    let message = PublishMessage::build()
        .payload(Bytes::from(serde_json::to_vec(&delivery)?))
        .message_id(format!("{}.webhook.{}", record.id, webhook.delivery_id));
    js.send_publish(names::WEBHOOKS_DELIVER, message).await?.await?;
    Ok(())
}
