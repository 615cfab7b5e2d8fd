//! Job records in the `edge_jobs` bucket. Every change after creation is a
//! compare-and-set on the record's revision, so concurrent writers cannot lose updates
//! and a final record is never overwritten.

use async_nats::jetstream::kv::{self, UpdateErrorKind};
use bytes::Bytes;
use edge_wire::{JobRecord, JobStatus};
use futures::TryStreamExt as _;

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

/// The `edge_jobs` bucket.
#[derive(Clone)]
pub struct JobStore {
    kv: kv::Store,
}

impl JobStore {
    pub fn new(kv: kv::Store) -> Self {
        Self { kv }
    }

    /// Stores a new record.
    ///
    /// # Errors
    /// [`JobStoreError`] when NATS fails or the id exists.
    pub async fn create(&self, record: &JobRecord) -> Result<u64, JobStoreError> {
        self.kv.create(&record.id, encode(record)?).await.map_err(unavailable)
    }

    /// The record and its revision.
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails or the record is corrupt.
    pub async fn get(&self, id: &str) -> Result<Option<(JobRecord, u64)>, JobStoreError> {
        match self.kv.entry(id).await.map_err(unavailable)? {
            Some(entry) if entry.operation == kv::Operation::Put => {
                let record = serde_json::from_slice(&entry.value).map_err(unavailable)?;
                Ok(Some((record, entry.revision)))
            }
            _ => Ok(None),
        }
    }

    /// The record of `id` if it belongs to `tenant`. Another tenant's job is `None`, exactly
    /// like a missing one: its existence is not theirs to learn.
    ///
    /// # Errors
    /// [`JobStoreError::Unavailable`] when NATS fails or the record is corrupt.
    pub async fn get_owned(&self, tenant: &str, id: &str) -> Result<Option<JobRecord>, JobStoreError> {
        Ok(self.get(id).await?.map(|(record, _)| record).filter(|record| record.tenant == tenant))
    }

    /// Replaces the record if it is still at `revision`.
    ///
    /// # Errors
    /// [`JobStoreError::Conflict`] when it changed meanwhile.
    pub async fn update(&self, record: &JobRecord, revision: u64) -> Result<u64, JobStoreError> {
        match self.kv.update(&record.id, encode(record)?, revision).await {
            Ok(revision) => Ok(revision),
            Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => Err(JobStoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The newest records of `tenant` first, at most `limit`, optionally of one status.
    ///
    /// Reads every key: fine for the thousands of jobs the bucket's max age keeps.
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
        // UUIDv7 ids sort by creation time.
        ids.sort_unstable_by(|a, b| b.cmp(a));
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
}

fn encode(record: &JobRecord) -> Result<Bytes, JobStoreError> {
    serde_json::to_vec(record).map(Bytes::from).map_err(unavailable)
}
