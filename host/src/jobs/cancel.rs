//! Cancelling a job: a queued one is marked `cancelled` and never runs; a running one is
//! stopped by whichever executor has it.

use std::time::Duration;

use edge_wire::{EventKind, JobError, JobRecord, JobStatus};
use futures::StreamExt as _;

use super::{Dispatcher, JobStoreError, SubmitError};
use crate::clock::now_rfc3339;
use crate::nats::names;

/// Attempts at the compare-and-set against executors starting the job meanwhile.
const CAS_ATTEMPTS: usize = 8;

/// What a cancel request achieved.
#[derive(Debug)]
pub enum CancelOutcome {
    /// The job is over now, as `cancelled`.
    Cancelled(JobRecord),
    /// The executor was told but had not confirmed within the wait.
    Requested(JobRecord),
    /// It had ended before; nothing changed.
    AlreadyFinal(JobRecord),
    /// No such job.
    NotFound,
}

impl Dispatcher {
    /// Cancels job `id`, waiting up to `wait` for a running job to stop.
    ///
    /// # Errors
    /// [`SubmitError::Unavailable`] when NATS fails.
    pub async fn cancel(&self, id: &str, wait: Duration) -> Result<CancelOutcome, SubmitError> {
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, revision)) = self.jobs.get(id).await? else {
                return Ok(CancelOutcome::NotFound);
            };
            match record.status {
                status if status.is_final() => return Ok(CancelOutcome::AlreadyFinal(record)),
                JobStatus::Queued => {
                    record.status = JobStatus::Cancelled;
                    record.error =
                        Some(JobError { code: "cancelled".into(), message: "cancelled while queued".into() });
                    record.finished_at = Some(now_rfc3339());
                    match self.jobs.update(&record, revision).await {
                        // An executor took it meanwhile: look again.
                        Err(JobStoreError::Conflict) => continue,
                        Err(e) => return Err(e.into()),
                        Ok(_) => {}
                    }
                    self.withdraw(id).await?;
                    super::announce_end(&self.js, &record)
                        .await
                        .map_err(|e| SubmitError::Unavailable(e.to_string()))?;
                    return Ok(CancelOutcome::Cancelled(record));
                }
                _ => return self.stop_running(id, wait).await,
            }
        }
        Err(SubmitError::Unavailable(format!("job {id} kept changing while it was being cancelled")))
    }

    /// For a queued job whose record was just ended: takes its message off the queue, so no
    /// executor gets it, and stops it on an executor that got it already (a job is marked
    /// running only after a while); that executor's own final write then finds the record.
    pub(super) async fn withdraw(&self, id: &str) -> Result<(), SubmitError> {
        self.jobs.dequeue(id).await?;
        self.signal_stop(id).await
    }

    /// Tells whichever executor runs job `id` to stop it (plain NATS, not stored).
    async fn signal_stop(&self, id: &str) -> Result<(), SubmitError> {
        self.client
            .publish(names::cancel_subject(id), bytes::Bytes::new())
            .await
            .map_err(|e| SubmitError::Unavailable(e.to_string()))
    }

    async fn stop_running(&self, id: &str, wait: Duration) -> Result<CancelOutcome, SubmitError> {
        let unavailable = |e: &dyn std::fmt::Display| SubmitError::Unavailable(e.to_string());
        let mut done =
            self.client.subscribe(names::event_subject(id, EventKind::Done)).await.map_err(|e| unavailable(&e))?;
        self.signal_stop(id).await?;
        let _ = tokio::time::timeout(wait, done.next()).await;
        match self.jobs.get(id).await? {
            Some((record, _)) if record.status.is_final() => Ok(CancelOutcome::Cancelled(record)),
            Some((record, _)) => Ok(CancelOutcome::Requested(record)),
            None => Ok(CancelOutcome::NotFound),
        }
    }
}
