//! Requeueing a job that ran out of deliveries: its stored message becomes a new job.

use async_nats::jetstream;
use edge_wire::{JobRecord, JobSpec, JobStatus};

use super::dispatch::queued_record;
use super::{Dispatcher, JobStoreError, SubmitError};
use crate::clock::now_ms;

/// Why a retry was refused.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no such job")]
    NotFound,
    /// Only jobs that ran out of deliveries are kept for a retry, and each only once.
    #[error("job is {} and not waiting for a retry: only jobs that failed with `max_deliveries` can be requeued, once", .0.as_str())]
    NotRetryable(JobStatus),
    #[error(transparent)]
    Submit(#[from] SubmitError),
}

impl From<JobStoreError> for RetryError {
    fn from(e: JobStoreError) -> Self {
        Self::Submit(e.into())
    }
}

impl Dispatcher {
    /// Queues a job that ran out of deliveries again, as a new job with the same
    /// component, arguments, environment, stdin and limits. Each dead job is requeued once.
    ///
    /// # Errors
    /// [`RetryError`] when there is no such job, it is not a dead one, or NATS fails.
    pub async fn retry(&self, id: &str, dead_letters: &jetstream::kv::Store) -> Result<JobRecord, RetryError> {
        let Some((old, _)) = self.jobs.get(id).await? else { return Err(RetryError::NotFound) };
        let entry = dead_letters.entry(id).await.map_err(|e| SubmitError::Unavailable(e.to_string()))?;
        let Some(entry) = entry.filter(|e| e.operation == jetstream::kv::Operation::Put) else {
            return Err(RetryError::NotRetryable(old.status));
        };
        let mut spec: JobSpec = serde_json::from_slice(&entry.value)
            .map_err(|e| SubmitError::Unavailable(format!("stored job message of {id} is unreadable: {e}")))?;
        // Claim it: of two concurrent retries, one wins.
        if dead_letters.delete_expect_revision(id, Some(entry.revision)).await.is_err() {
            return Err(RetryError::NotRetryable(old.status));
        }
        let new_id = uuid::Uuid::now_v7().to_string();
        let record = JobRecord {
            retry_of: Some(id.to_owned()),
            ..queued_record(&new_id, &old.tenant, &old.component, &old.digest, &old.args, old.limits)
        };
        spec.id = new_id;
        spec.submitted_at_ms = now_ms();
        spec.queued = Box::new(record);
        match self.queue(spec, None).await {
            Ok(record) => Ok(record),
            Err(e) => {
                // Not queued: let a later retry find it again.
                let _ = dead_letters.put(id, entry.value).await;
                Err(e.into())
            }
        }
    }
}
