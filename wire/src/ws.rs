use serde::{Deserialize, Serialize};

use crate::{JobEvent, JobRequest, JobStatus};

/// What a client sends on `GET /v1/ws` (JSON text frames).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Queue a job; its events follow on this socket.
    Submit {
        /// The job, as for `POST /v1/jobs`.
        job: JobRequest,
    },
    /// Follow one job (`job`), from after stream sequence `after` if given; or the status
    /// and `done` events of every job (`all: true`).
    Subscribe {
        /// A job id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<String>,
        /// Every job.
        #[serde(default)]
        all: bool,
        /// Resume after this event sequence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<u64>,
    },
    /// Stop following a job, or every job.
    Unsubscribe {
        /// A job id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<String>,
        /// Every job.
        #[serde(default)]
        all: bool,
    },
    /// Cancel a job.
    Cancel {
        /// The job id.
        job: String,
    },
}

/// What the server sends on `GET /v1/ws`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// A submitted job was queued.
    Accepted {
        /// Job id.
        id: String,
        /// Its status now.
        status: JobStatus,
    },
    /// A subscription is in place.
    Subscribed {
        /// The job, or none for every job.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<String>,
        /// True for every job.
        all: bool,
    },
    /// A subscription was removed.
    Unsubscribed {
        /// The job, or none for every job.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<String>,
        /// True for every job.
        all: bool,
    },
    /// An event of a job.
    Event {
        /// Job id.
        job: String,
        /// Stream sequence, for `after` on a later subscribe (absent on broadcasts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        /// The event.
        event: JobEvent,
    },
    /// The answer to a cancel: where the job is now.
    CancelResult {
        /// Job id.
        job: String,
        /// Its status now.
        status: JobStatus,
    },
    /// This client read too slowly and `dropped` events were not sent to it.
    Lagged {
        /// How many.
        dropped: u64,
    },
    /// A message could not be served; the socket stays open.
    Error {
        /// Same codes as the HTTP API.
        code: String,
        /// For people.
        message: String,
    },
}
