//! `Idempotency-Key`: a repeated submission with the same key gets the job of the first,
//! for as long as the `edge_idempotency` bucket keeps the key (24 h), far past JetStream's
//! duplicate window. The key is claimed with a create (compare-and-set on "absent"), so of
//! two racing requests one queues the job and the other gets its id.

use async_nats::jetstream::kv;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Longest key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 255;

/// What a key stands for.
#[derive(Serialize, Deserialize)]
struct Claim {
    job: String,
    /// SHA-256 of the request, so a key reused for a different request is refused.
    request: String,
}

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("the Idempotency-Key must be 1 to {MAX_KEY_BYTES} visible ASCII characters")]
    Invalid,
    #[error("this Idempotency-Key was used for a different request (job {0})")]
    Reused(String),
    #[error("the first request with this Idempotency-Key (job {0}) is still being queued; try again")]
    InProgress(String),
    #[error("idempotency store unavailable: {0}")]
    Unavailable(String),
}

/// The outcome of claiming a key.
pub enum Claimed {
    /// The key is new: queue the job under this id.
    New,
    /// The key was used before for the same request: this is its job.
    Existing(String),
}

/// The `edge_idempotency` bucket.
#[derive(Clone)]
pub struct IdempotencyKeys {
    kv: kv::Store,
}

impl IdempotencyKeys {
    pub fn new(kv: kv::Store) -> Self {
        Self { kv }
    }

    /// Claims `key` (scoped by `scope`, e.g. the tenant) for job `job_id` of `request`.
    ///
    /// # Errors
    /// [`IdempotencyError`] for a malformed key, a key reused with another request, or NATS.
    pub async fn claim(
        &self,
        scope: &str,
        key: &str,
        job_id: &str,
        request: &[u8],
    ) -> Result<Claimed, IdempotencyError> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(IdempotencyError::Invalid);
        }
        let entry_key = entry_key(scope, key);
        let fingerprint = hex::encode(Sha256::digest(request));
        let claim = Claim { job: job_id.to_owned(), request: fingerprint.clone() };
        let value = Bytes::from(serde_json::to_vec(&claim).map_err(|e| IdempotencyError::Unavailable(e.to_string()))?);
        match self.kv.create(&entry_key, value).await {
            Ok(_) => return Ok(Claimed::New),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
            Err(e) => return Err(IdempotencyError::Unavailable(e.to_string())),
        }
        let stored = self.kv.get(&entry_key).await.map_err(|e| IdempotencyError::Unavailable(e.to_string()))?;
        let stored: Claim = stored
            .and_then(|value| serde_json::from_slice(&value).ok())
            .ok_or_else(|| IdempotencyError::Unavailable("the key's entry vanished; try again".into()))?;
        if stored.request != fingerprint {
            return Err(IdempotencyError::Reused(stored.job));
        }
        Ok(Claimed::Existing(stored.job))
    }

    /// Frees a key whose job could not be queued, so a retry of the request can.
    pub async fn release(&self, scope: &str, key: &str) {
        if let Err(e) = self.kv.delete(entry_key(scope, key)).await {
            tracing::warn!(error = %e, "cannot release an idempotency key");
        }
    }
}

/// KV keys allow few characters: the user's key is hashed.
fn entry_key(scope: &str, key: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(scope.as_bytes());
    hash.update([0]);
    hash.update(key.as_bytes());
    hex::encode(hash.finalize())
}
