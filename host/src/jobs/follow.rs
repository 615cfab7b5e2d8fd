//! Following one job's events from the EDGE_EVENTS stream: its history first, then live,
//! ending after `done`. Every event keeps its stream sequence so a client can resume after
//! the last one it saw. Shared by SSE and WebSocket.

use async_nats::jetstream::{self, consumer::DeliverPolicy};
use bytes::Bytes;
use edge_wire::{EventKind, JobEvent};
use futures::StreamExt as _;
use futures::stream::{self, BoxStream};

use super::{JobStore, JobStoreError};
use crate::nats::names;

/// One event as stored.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Position in the EDGE_EVENTS stream; `None` for a `done` rebuilt from the record.
    pub sequence: Option<u64>,
    pub kind: EventKind,
    /// The `JobEvent` JSON.
    pub data: Bytes,
}

/// Why a job cannot be followed.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("no job {0}")]
    NotFound(String),
    #[error("events unavailable: {0}")]
    Unavailable(String),
    /// The client asked to resume after a sequence the events stream has not reached.
    #[error("event id {0} was never sent")]
    NotSent(u64),
}

impl From<JobStoreError> for FollowError {
    fn from(e: JobStoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

fn unavailable(e: impl std::fmt::Display) -> FollowError {
    FollowError::Unavailable(e.to_string())
}

/// The events of job `id` after stream sequence `after` (all when `None`).
///
/// # Errors
/// [`FollowError::NotFound`] for an unknown job; `Unavailable` when NATS fails.
pub async fn follow(
    js: &jetstream::Context,
    jobs: &JobStore,
    id: &str,
    after: Option<u64>,
) -> Result<BoxStream<'static, StoredEvent>, FollowError> {
    let Some((record, _)) = jobs.get(id).await? else {
        return Err(FollowError::NotFound(id.to_owned()));
    };
    let events = js.get_stream(names::EVENTS_STREAM).await.map_err(unavailable)?;
    // Sequences only grow: one past the stream's end was never sent, and following a live job
    // from there would skip its `done` and never end.
    if let Some(after) = after
        && after > events.cached_info().state.last_sequence
    {
        return Err(FollowError::NotSent(after));
    }
    if record.status.is_final() {
        match events.get_last_raw_message_by_subject(&names::event_subject(id, EventKind::Done)).await {
            // Its events are in the stream: replay them below, unless the client saw the end.
            Ok(done) if after.is_none_or(|seen| seen < done.sequence) => {}
            Ok(_) => return Ok(stream::empty().boxed()),
            // Its events have aged out of the stream: the record is the history.
            Err(_) => {
                let data = serde_json::to_vec(&JobEvent::Done(Box::new(record))).map_err(unavailable)?;
                let done = StoredEvent { sequence: None, kind: EventKind::Done, data: data.into() };
                return Ok(stream::iter([done]).boxed());
            }
        }
    }
    let deliver_policy = match after {
        Some(sequence) => DeliverPolicy::ByStartSequence { start_sequence: sequence.saturating_add(1) },
        None => DeliverPolicy::All,
    };
    let config = jetstream::consumer::pull::OrderedConfig {
        filter_subject: names::job_events_filter(id),
        deliver_policy,
        ..Default::default()
    };
    let messages = events.create_consumer(config).await.map_err(unavailable)?.messages().await.map_err(unavailable)?;
    // Ends right after `done`, without waiting for another message.
    let stream = stream::unfold(Some(messages), |messages| async move {
        let mut messages = messages?;
        loop {
            match messages.next().await? {
                Ok(message) => {
                    let Some((_, kind)) = names::parse_event_subject(&message.subject) else { continue };
                    let sequence = message.info().ok().map(|info| info.stream_sequence);
                    let event = StoredEvent { sequence, kind, data: message.payload.clone() };
                    let rest = (kind != EventKind::Done).then_some(messages);
                    return Some((event, rest));
                }
                Err(e) => tracing::warn!(error = %e, "event stream hiccup"),
            }
        }
    });
    Ok(stream.boxed())
}
