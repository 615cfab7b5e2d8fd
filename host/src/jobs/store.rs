//! Job records. A queued job's record travels in its message on the work queue
//! (`edge.jobs.submit.<id>` in EDGE_JOBS); the `edge_jobs` bucket gets an entry only when
//! an executor announces or ends the job, or a host cancels or gives it up. Every write
//! is a compare-and-set: on the entry's revision, or — revision 0, a record still queued —
//! a create, which only one writer can win. So concurrent writers cannot lose updates and
//! a final record is never overwritten.
//!
//! Everyone who ends a queued job writes its entry before the message leaves the queue,
//! so a reader that finds neither, after looking in the bucket, the queue and the bucket
//! again, knows there is no such job.

use async_nats::jetstream::kv::{self, CreateErrorKind, UpdateErrorKind};
use async_nats::jetstream::stream::{self, LastRawMessageErrorKind};
use bytes::Bytes;
use edge_wire::{JobRecord, JobSpec, JobStatus};
use futures::TryStreamExt as _;

use crate::nats::names;

/// Errors of the job store.
#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    /// Someone else changed the record first.
    #[error("job record changed concurrently")]
    Conflict,
    /// NATS failed.
    #[error("job store unavailable: {0}")]
    Unavailable(String),
}

fn unavailable(e: impl std::fmt::Display) -> JobStoreError {
    JobStoreError::Unavailable(e.to_string())
}

/// Revision of a record that is still only in its job message.
pub const QUEUED: u64 = 0;

/// The `edge_jobs` bucket and the records of queued jobs in EDGE_JOBS.
#[derive(Clone)]
pub struct JobStore {
    kv: kv::Store,
    queue: stream::Stream,
}

impl JobStore {
    pub fn new(kv: kv::Store, queue: stream::Stream) -> Self {
        Self { kv, queue }
    }

    /// The record and its revision ([`QUEUED`] for a job still waiting in the queue).
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails or the record is corrupt.
    pub async fn get(&self, id: &str) -> Result<Option<(JobRecord, u64)>, JobStoreError> {
        if let Some(stored) = self.stored(id).await? {
            return Ok(Some(stored));
        }
        if let Some((spec, _)) = self.queued(id).await? {
            return Ok(Some((*spec.queued, QUEUED)));
        }
        // It may have left the queue between the two looks: then its entry exists.
        self.stored(id).await
    }

    /// The entry in the bucket only (a queued job has none yet).
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails or the record is corrupt.
    pub async fn stored(&self, id: &str) -> Result<Option<(JobRecord, u64)>, JobStoreError> {
        match self.kv.entry(id).await.map_err(unavailable)? {
            Some(entry) if entry.operation == kv::Operation::Put => {
                let record = serde_json::from_slice(&entry.value).map_err(unavailable)?;
                Ok(Some((record, entry.revision)))
            }
            _ => Ok(None),
        }
    }

    /// The job's message in the queue and its stream sequence, while it is there.
    async fn queued(&self, id: &str) -> Result<Option<(JobSpec, u64)>, JobStoreError> {
        if id.is_empty() || id.contains(['.', '*', '>', ' ']) {
            return Ok(None);
        }
        match self.queue.get_last_raw_message_by_subject(&names::job_subject(id)).await {
            Ok(message) => {
                let spec = serde_json::from_slice(&message.payload).map_err(unavailable)?;
                Ok(Some((spec, message.sequence)))
            }
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Takes a queued job's message off the queue (after its record was written), so no
    /// executor receives it. Gone already is fine.
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails.
    pub async fn dequeue(&self, id: &str) -> Result<(), JobStoreError> {
        if let Some((_, sequence)) = self.queued(id).await? {
            // An error here is most likely an executor's ack that removed it meanwhile.
            let _ = self.queue.delete_message(sequence).await;
        }
        Ok(())
    }

    /// The record of `id` if it belongs to `tenant`. Another tenant's job is `None`, exactly
    /// like a missing one: its existence is not theirs to learn.
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails or the record is corrupt.
    pub async fn get_owned(&self, tenant: &str, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
        Ok(self.get(id).await?.map(|(record, _)| record).filter(|record| record.tenant == tenant))
    }

    /// Replaces the record if it is still at `revision`; a record at [`QUEUED`] gets its
    /// entry created.
    ///
    /// # Errors
    /// [`JobStoreError::Conflict`] when it changed meanwhile.
    pub async fn update(&self, record: &JobRecord, revision: u64) -> Result<u64, JobStoreError> {
        if revision == QUEUED {
            return match self.kv.create(&record.id, encode(record)?).await {
                Ok(revision) => Ok(revision),
                Err(e) if e.kind() == CreateErrorKind::AlreadyExists => Err(JobStoreError::Conflict),
                Err(e) => Err(unavailable(e)),
            };
        }
        match self.kv.update(&record.id, encode(record)?, revision).await {
            Ok(revision) => Ok(revision),
            Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => Err(JobStoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The newest records of `tenant` first, at most `limit`, optionally of one status.
    ///
    /// Reads every key and every queued job: fine for the thousands of jobs the bucket's
    /// max age keeps.
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails.
    pub async fn recent(
        &self,
        tenant: &str,
        limit: usize,
        status: Option<JobStatus>,
    ) -> Result<Vec<JobRecord>, JobStoreError> {
        let mut ids: Vec<String> = match self.kv.keys().await {
            Ok(keys) => keys.try_collect().await.map_err(unavailable)?,
            Err(e) => return Err(unavailable(e)),
        };
        ids.extend(self.queued_ids().await?);
        // UUIDv7 ids sort by creation time.
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.dedup();
        let mut records = Vec::new();
        for id in ids {
            if records.len() >= limit {
                break;
            }
            if let Some((record, _)) = self.get(&id).await?
                && record.tenant == tenant
                && status.is_none_or(|s| s == record.status)
            {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Ids of the jobs in the queue.
    async fn queued_ids(&self) -> Result<Vec<String>, JobStoreError> {
        let subjects: Vec<(String, usize)> = self
            .queue
            .info_with_subjects(names::JOBS_SUBMIT)
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        Ok(subjects.iter().filter_map(|(subject, _)| names::parse_job_subject(subject)).map(str::to_owned).collect())
    }
}

fn encode(record: &JobRecord) -> Result<Bytes, JobStoreError> {
    serde_json::to_vec(record).map(Bytes::from).map_err(unavailable)
}
