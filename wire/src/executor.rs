use serde::{Deserialize, Serialize};

/// A live executor, as its last heartbeat described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutorInfo {
    /// Its id, as in job records.
    pub id: String,
    /// Jobs it runs at once.
    pub concurrency: u32,
    /// Jobs running there now.
    pub running: u32,
    /// Jobs it finished since it started.
    pub done: u64,
    /// RFC 3339 time it started.
    pub started_at: String,
    /// RFC 3339 time of this heartbeat.
    pub last_seen: String,
}

/// `GET /v1/executors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutorList {
    /// Live executors, by id.
    pub executors: Vec<ExecutorInfo>,
}
