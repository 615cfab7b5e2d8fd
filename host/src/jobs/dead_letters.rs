//! Jobs no executor could finish. JetStream gives up on a job after the executors
//! consumer's MaxDeliver deliveries (executors that crashed or stopped with it, or could not
//! load its component) and says so in an advisory; the EDGE_DEAD_LETTERS stream keeps each
//! advisory until a host has handled it, so none is lost while no host runs. The host ends
//! the job as `failed` (`max_deliveries`), keeps its message in `edge_dead_letters` so
//! `POST /v1/jobs/{id}/retry` can queue it again, and takes it out of the work queue.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer, kv};
use edge_wire::{JobError, JobSpec, JobStatus};
use futures::StreamExt as _;
use serde::Deserialize;

use super::{JobStore, JobStoreError, announce_end};
use crate::clock::now_rfc3339;
use crate::nats::names;

/// Attempts at the compare-and-set against an executor writing the record meanwhile.
const CAS_ATTEMPTS: usize = 8;
/// Delay before an advisory that could not be handled is offered again.
const RETRY_DELAY: Duration = Duration::from_secs(5);

/// `io.nats.jetstream.advisory.v1.max_deliver`, the fields edge needs.
#[derive(Deserialize)]
struct MaxDeliveries {
    stream_seq: u64,
    deliveries: u64,
}

/// Ends jobs that ran out of deliveries. One per host; the consumer shares the work.
pub struct DeadLetters {
    pub js: jetstream::Context,
    pub jobs: JobStore,
    pub specs: kv::Store,
}

impl DeadLetters {
    /// Handles advisories until the process ends.
    pub async fn run(self, consumer: consumer::PullConsumer) {
        loop {
            let mut messages = match consumer.messages().await {
                Ok(messages) => messages,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read dead letters; retrying");
                    tokio::time::sleep(RETRY_DELAY).await;
                    continue;
                }
            };
            while let Some(message) = messages.next().await {
                let message = match message {
                    Ok(message) => message,
                    Err(e) => {
                        tracing::warn!(error = %e, "dead letter pull failed");
                        continue;
                    }
                };
                let ack = match self.handle(&message.payload).await {
                    Ok(()) => AckKind::Ack,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot end a job that ran out of deliveries; retrying");
                        AckKind::Nak(Some(RETRY_DELAY))
                    }
                };
                if let Err(e) = message.ack_with(ack).await {
                    tracing::warn!(error = %e, "cannot ack a dead letter");
                }
            }
        }
    }

    async fn handle(&self, payload: &[u8]) -> anyhow::Result<()> {
        let Ok(advisory) = serde_json::from_slice::<MaxDeliveries>(payload) else {
            tracing::error!("dropping a dead letter that is not a max-deliveries advisory");
            return Ok(());
        };
        let queue = self.js.get_stream(names::JOBS_STREAM).await?;
        let message = match queue.get_raw_message(advisory.stream_seq).await {
            Ok(message) => message,
            Err(e) if e.kind() == jetstream::stream::RawMessageErrorKind::NoMessageFound => {
                // Acked at the last moment, or handled by another host already.
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let Ok(spec) = serde_json::from_slice::<JobSpec>(&message.payload) else {
            tracing::error!(seq = advisory.stream_seq, "dropping a dead job message that is not a job spec");
            queue.delete_message(advisory.stream_seq).await?;
            return Ok(());
        };
        self.specs.put(&spec.id, message.payload.clone()).await?;
        self.fail(&spec.id, advisory.deliveries).await?;
        // Gone already if another host got here first.
        let _ = queue.delete_message(advisory.stream_seq).await;
        Ok(())
    }

    async fn fail(&self, id: &str, deliveries: u64) -> anyhow::Result<()> {
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, revision)) = self.jobs.get(id).await? else { return Ok(()) };
            if record.status.is_final() {
                // Ended by an attempt that never acked: make sure its end was announced.
                return announce_end(&self.js, &record).await;
            }
            let last = record.executor.as_deref().map(|e| format!("; the last attempt was on {e}")).unwrap_or_default();
            record.status = JobStatus::Failed;
            record.error = Some(JobError {
                code: "max_deliveries".into(),
                message: format!(
                    "gave up after {deliveries} deliveries: no attempt finished (executors stopped or crashed \
                     with it, or could not load its component){last}; POST /v1/jobs/{id}/retry queues it again"
                ),
            });
            record.finished_at = Some(now_rfc3339());
            match self.jobs.update(&record, revision).await {
                Ok(_) => {
                    tracing::warn!(job = id, deliveries, "job ran out of deliveries; failed");
                    return announce_end(&self.js, &record).await;
                }
                Err(JobStoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        anyhow::bail!("the record of {id} kept changing")
    }
}
