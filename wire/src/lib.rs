//! Wire types of edge: the JSON that hosts, executors, clients and the web UI exchange.
//!
//! Defined once here so every side agrees. The crate has no I/O and compiles for
//! `wasm32-unknown-unknown`, so the Leptos UI uses the very same types.
#![warn(missing_docs)]

mod component;
mod error;
mod event;
mod executor;
mod job;
mod output;
mod strict;
mod webhook;
mod ws;

pub use component::{ComponentConfig, ComponentInfo, ComponentKind, ComponentVersion};
pub use error::{ErrorBody, ErrorResponse};
pub use event::{EventKind, JobEvent, OutputChunk};
pub use executor::{ExecutorInfo, ExecutorList};
pub use job::{
    JobAccepted, JobError, JobLinks, JobList, JobRecord, JobRequest, JobSpec, JobStatus, Limits, LimitsRequest, Usage,
};
pub use output::Output;
pub use strict::from_json;
pub use webhook::{WebhookAttempt, WebhookRequest, WebhookState, WebhookStatus};
pub use ws::{ClientMessage, ServerMessage};
