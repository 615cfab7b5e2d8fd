use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Output;

/// `POST /v1/jobs`: what to run and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"component": "hello", "args": ["Ada"]})))]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// A component name (its current version) or a digest `sha256:<hex>`.
    pub component: String,
    /// Arguments after the program name.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables; the job sees these and nothing else.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Standard input as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Standard input as base64, for binary input. Not together with `stdin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin_base64: Option<String>,
    /// Limits; each one left out takes the platform's default.
    #[serde(default)]
    pub limits: LimitsRequest,
    /// POST the final record here when the job ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<crate::WebhookRequest>,
}

/// Limits as asked for; `None` means the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LimitsRequest {
    /// Wall-clock deadline in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Linear memory cap in MiB, all memories of the component together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Fuel budget (roughly, wasm instructions); no fuel limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Cap on stdout and stderr together, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<u64>,
}

/// Limits in force for a job, every one resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// Wall-clock deadline in milliseconds.
    pub timeout_ms: u64,
    /// Linear memory cap in MiB.
    pub memory_mb: u64,
    /// Fuel budget, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Cap on stdout and stderr together, in bytes.
    pub max_output_bytes: u64,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Accepted and waiting for an executor.
    Queued,
    /// An executor is running it.
    Running,
    /// Ran to the end with exit code 0.
    Succeeded,
    /// Ended with a non-zero exit code, a trap, or a limit other than time and memory.
    Failed,
    /// Hit its wall-clock deadline.
    TimedOut,
    /// Tried to grow memory past its cap.
    MemoryExceeded,
    /// Cancelled before it finished.
    Cancelled,
}

impl JobStatus {
    /// Every status, in life order.
    pub const ALL: [JobStatus; 7] = [
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::MemoryExceeded,
        Self::Cancelled,
    ];

    /// True once the job will not change again.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::MemoryExceeded => "memory_exceeded",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Why a job failed other than by its exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobError {
    /// `trap`, `timeout`, `memory_limit`, `fuel_exhausted`, `output_limit`,
    /// `component_unavailable`, `instantiate` ...
    pub code: String,
    /// Details for people, e.g. the trap message.
    pub message: String,
}

/// What a job used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// Time from start of the run to its end, in milliseconds.
    pub wall_ms: u64,
    /// Time from submission to the start of the (last) run, in milliseconds.
    pub queue_ms: u64,
    /// Fuel consumed, when the job had a fuel budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_used: Option<u64>,
    /// Highest total linear memory the component held, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes the job wrote to stdout and stderr, including any dropped past the cap.
    pub output_bytes: u64,
}

/// The record of a job: kept in the `edge_jobs` bucket and answered by `GET /v1/jobs/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobRecord {
    /// Job id (UUIDv7: sorts by submission time).
    pub id: String,
    /// The tenant it belongs to: only keys of that tenant see or touch it.
    #[serde(default = "default_tenant")]
    pub tenant: String,
    /// The component as the request named it.
    pub component: String,
    /// The digest that was resolved at submission and is what runs.
    pub digest: String,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Where the job is.
    pub status: JobStatus,
    /// The guest's exit code, when it exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// What the guest wrote to stdout.
    #[serde(default)]
    pub stdout: Output,
    /// What the guest wrote to stderr.
    #[serde(default)]
    pub stderr: Output,
    /// Why it failed, for traps and limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
    /// How many times an executor started it (more than 1 after a redelivery).
    #[serde(default)]
    pub attempts: u32,
    /// The executor that ran (or runs) it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// The limits in force.
    pub limits: Limits,
    /// What it used.
    #[serde(default)]
    pub usage: Usage,
    /// RFC 3339 times.
    pub created_at: String,
    /// When the last attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it reached a final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Its webhook, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<crate::WebhookStatus>,
    /// The job this one retries (`POST /v1/jobs/{id}/retry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
}

/// What the host publishes to `edge.jobs.submit.<id>` for executors: everything needed to
/// run, and the job's record while it is queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Job id.
    pub id: String,
    /// `sha256:<hex>` of the component to run.
    pub digest: String,
    /// How to run it: as a `wasi:cli` command or through the `edge:platform` job world.
    #[serde(default = "command_kind")]
    pub kind: crate::ComponentKind,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Environment of the job.
    pub env: BTreeMap<String, String>,
    /// Standard input, base64.
    #[serde(default)]
    pub stdin_base64: String,
    /// Resolved limits.
    pub limits: Limits,
    /// Submission time, milliseconds since the Unix epoch (for queue time).
    pub submitted_at_ms: u64,
    /// The record in `queued`: a queued job has no entry in `edge_jobs` yet. The executor
    /// that announces or ends the job (or a cancel) creates it from this one.
    pub queued: Box<JobRecord>,
}

/// Links a client follows from an accepted job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobLinks {
    /// The record: `/v1/jobs/{id}`.
    #[serde(rename = "self")]
    pub record: String,
    /// Live events (Server-Sent Events): `/v1/jobs/{id}/events`.
    pub events: String,
}

/// `202 Accepted` answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobAccepted {
    /// Job id.
    pub id: String,
    /// `queued`, or where the job got to while the request waited.
    pub status: JobStatus,
    /// Where to look next.
    pub links: JobLinks,
}

/// `GET /v1/jobs`: the most recent jobs first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobList {
    /// Records, newest first.
    pub jobs: Vec<JobRecord>,
}

fn command_kind() -> crate::ComponentKind {
    crate::ComponentKind::Command
}

fn default_tenant() -> String {
    "default".to_owned()
}
