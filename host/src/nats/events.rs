//! Publishing job events to `edge.events.<id>.<kind>` in the EDGE_EVENTS stream.

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage};
use bytes::Bytes;
use edge_wire::{JobEvent, JobRecord};

use super::names;

/// Publishes events and waits for JetStream to store each.
#[derive(Clone)]
pub struct EventPublisher {
    js: jetstream::Context,
}

impl EventPublisher {
    pub fn new(js: jetstream::Context) -> Self {
        Self { js }
    }

    /// Publishes `event` for `job_id`. With `dedupe_id`, a repeat inside the stream's
    /// duplicate window is dropped by JetStream.
    ///
    /// # Errors
    /// When JetStream does not confirm.
    pub async fn publish(&self, job_id: &str, event: &JobEvent, dedupe_id: Option<&str>) -> anyhow::Result<()> {
        self.send(job_id, event, dedupe_id).await?.await?;
        Ok(())
    }

    /// Sends `event` without waiting for JetStream to store it: await the returned future
    /// for that, so round trips overlap with other work.
    ///
    /// # Errors
    /// When the message cannot be sent.
    pub async fn send(
        &self,
        job_id: &str,
        event: &JobEvent,
        dedupe_id: Option<&str>,
    ) -> anyhow::Result<PublishAckFuture> {
        let payload = Bytes::from(serde_json::to_vec(event)?);
        let mut message = PublishMessage::build().payload(payload);
        if let Some(id) = dedupe_id {
            message = message.message_id(id);
        }
        let subject = names::event_subject(job_id, event.kind());
        Ok(self.js.send_publish(subject, message).await?)
    }
}

/// Publishes the `done` event of a final record. Deduplicated: whoever repeats it (a retry,
/// a second attempt, a cancel racing an executor) stores it once.
///
/// # Errors
/// When JetStream does not confirm.
pub async fn publish_done(publisher: &EventPublisher, record: &JobRecord) -> anyhow::Result<()> {
    let done = JobEvent::Done(Box::new(record.clone()));
    publisher.publish(&record.id, &done, Some(&format!("{}.done", record.id))).await
}
