use serde::{Deserialize, Serialize};

use crate::{JobRecord, JobStatus};

/// The last token of `edge.events.<job_id>.<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The job changed status.
    Status,
    /// A chunk of stdout.
    Stdout,
    /// A chunk of stderr.
    Stderr,
    /// Progress reported by an `edge:platform/job` component.
    Progress,
    /// The final record; nothing follows.
    Done,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 5] = [Self::Status, Self::Stdout, Self::Stderr, Self::Progress, Self::Done];

    /// The subject token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Progress => "progress",
            Self::Done => "done",
        }
    }

    /// Parses a subject token.
    pub fn parse(token: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == token)
    }
}

/// A piece of output, in order. `seq` counts from 0 per stream and attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputChunk {
    /// Which attempt wrote it (a redelivered job starts its output again).
    pub attempt: u32,
    /// Position of this chunk in its stream.
    pub seq: u64,
    /// The bytes.
    #[serde(flatten)]
    pub data: crate::Output,
}

/// A payload on `edge.events.<job_id>.<kind>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobEvent {
    /// The job's status changed.
    Status {
        /// New status.
        status: JobStatus,
        /// Attempt number.
        attempt: u32,
        /// Executor that reports it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        executor: Option<String>,
    },
    /// Output on stdout.
    Stdout(OutputChunk),
    /// Output on stderr.
    Stderr(OutputChunk),
    /// Progress reported by an `edge:platform/job` component.
    Progress {
        /// Attempt number.
        attempt: u32,
        /// Position among this attempt's progress events, from 0.
        seq: u64,
        /// How far, 0 to 100.
        percent: u8,
        /// What is going on.
        message: String,
    },
    /// The job is over; this is its final record.
    Done(Box<JobRecord>),
}

impl JobEvent {
    /// Which subject token the event goes to.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Status { .. } => EventKind::Status,
            Self::Stdout(_) => EventKind::Stdout,
            Self::Stderr(_) => EventKind::Stderr,
            Self::Progress { .. } => EventKind::Progress,
            Self::Done(_) => EventKind::Done,
        }
    }
}
