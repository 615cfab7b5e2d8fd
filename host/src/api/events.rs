//! `GET /v1/jobs/{id}/events`: a job's events as Server-Sent Events, resumable.
//!
//! Every event's `id:` is its sequence in the EDGE_EVENTS stream, so a client that
//! reconnects with `Last-Event-ID: N` is served from N+1 on and misses nothing. The stream
//! ends after `done`.

use std::convert::Infallible;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, DeliverPolicy};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use edge_wire::{EventKind, JobEvent};
use futures::{Stream, StreamExt as _, stream};

use super::{ApiError, AppState};
use crate::nats::names;

/// Comment lines sent while nothing happens, so proxies keep the connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn job_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    super::jobs::check_job_id(&id)?;
    let last_seen = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(value.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()).ok_or_else(|| {
            ApiError::bad_request("invalid_last_event_id", "Last-Event-ID must be an event id this API sent")
        })?),
    };
    let Some((record, _)) = state.dispatcher.jobs.get(&id).await? else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "job_not_found", format!("no job {id}")));
    };

    let js = &state.dispatcher.js;
    let events_stream = js.get_stream(names::EVENTS_STREAM).await.map_err(ApiError::unavailable)?;
    if record.status.is_final() {
        let done_subject = names::event_subject(&id, EventKind::Done);
        match events_stream.get_last_raw_message_by_subject(&done_subject).await {
            // Its events are in the stream: replay them below, unless the client saw the end.
            Ok(done) if last_seen.is_none_or(|seen| seen < done.sequence) => {}
            Ok(_) => return Ok(sse(stream::empty())),
            // Its events have aged out of the stream: the record is the history.
            Err(_) => {
                let data = serde_json::to_string(&JobEvent::Done(Box::new(record))).map_err(ApiError::unavailable)?;
                let done = Event::default().event(EventKind::Done.as_str()).data(data);
                return Ok(sse(stream::iter([Ok(done)])));
            }
        }
    }

    let deliver_policy = match last_seen {
        Some(sequence) => DeliverPolicy::ByStartSequence { start_sequence: sequence.saturating_add(1) },
        None => DeliverPolicy::All,
    };
    let config = consumer::pull::OrderedConfig {
        filter_subject: names::job_events_filter(&id),
        deliver_policy,
        ..Default::default()
    };
    let messages = events_stream
        .create_consumer(config)
        .await
        .map_err(ApiError::unavailable)?
        .messages()
        .await
        .map_err(ApiError::unavailable)?;

    // Ends right after `done`, without waiting for another message.
    let events = stream::unfold(Some(messages), |messages| async move {
        let mut messages = messages?;
        loop {
            match messages.next().await? {
                Ok(message) => {
                    let sequence = message.info().map(|info| info.stream_sequence).unwrap_or_default();
                    let kind = names::parse_event_subject(&message.subject).map(|(_, kind)| kind);
                    let name = kind.map(EventKind::as_str).unwrap_or("message");
                    let data = String::from_utf8_lossy(&message.payload);
                    let event = Event::default().id(sequence.to_string()).event(name).data(data);
                    let rest = (kind != Some(EventKind::Done)).then_some(messages);
                    return Some((Ok(event), rest));
                }
                Err(e) => tracing::warn!(error = %e, "event stream hiccup"),
            }
        }
    });
    Ok(sse(events))
}

fn sse(events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static) -> Response {
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}
