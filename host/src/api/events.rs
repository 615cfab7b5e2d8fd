//! `GET /v1/jobs/{id}/events`: a job's events as Server-Sent Events, resumable.
//!
//! Every event's `id:` is its sequence in the EDGE_EVENTS stream, so a client that
//! reconnects with `Last-Event-ID: N` is served from N+1 on and misses nothing. The stream
//! ends after `done`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use futures::StreamExt as _;

use super::{ApiError, AppState};
use crate::jobs::follow;

/// Comment lines sent while nothing happens, so proxies keep the connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn job_events(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    super::jobs::owned_job(&state, &caller, &id).await?;
    let after = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(value.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()).ok_or_else(|| {
            ApiError::bad_request("invalid_last_event_id", "Last-Event-ID must be an event id this API sent")
        })?),
    };
    let events = follow(&state.dispatcher.js, &state.dispatcher.jobs, &id, after).await?.map(|stored| {
        let mut event = Event::default().event(stored.kind.as_str()).data(String::from_utf8_lossy(&stored.data));
        if let Some(sequence) = stored.sequence {
            event = event.id(sequence.to_string());
        }
        Ok::<_, Infallible>(event)
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response())
}
