//! Announcing that a job ended: its `done` event, then its webhook delivery, if any.

use async_nats::jetstream;
use edge_wire::JobRecord;

use crate::nats::{EventPublisher, publish_done};

/// Publishes `done` for a final record and queues its webhook. Both are deduplicated, so
/// whoever ends a job (an executor, a retry of it, a cancel) may call this again safely.
///
/// # Errors
/// When JetStream does not confirm one of them.
pub async fn announce_end(js: &jetstream::Context, record: &JobRecord) -> anyhow::Result<()> {
    publish_done(&EventPublisher::new(js.clone()), record).await?;
    crate::webhooks::enqueue(js, record).await
}
