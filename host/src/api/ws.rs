//! `GET /v1/ws`: submit, follow and cancel jobs over one WebSocket, in JSON
//! ([`ClientMessage`] in, [`ServerMessage`] out).
//!
//! Each socket has a bounded outbox. Events are offered to it without waiting: when a
//! client reads too slowly, events are dropped for that client alone and it is told how
//! many (`lagged`), so one slow reader never holds up the bus or other clients. Replies to
//! the client's own requests are never dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use edge_wire::{ClientMessage, EventKind, JobEvent, ServerMessage};
use futures::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::AppState;
use crate::auth::{Caller, Role};
use crate::jobs::{CancelOutcome, FollowError, JobStore, SubmitError, follow};
use crate::nats::names;

/// How long a cancel sent over the socket waits for a running job to stop.
const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn upgrade(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ws: WebSocketUpgrade,
) -> Response {
    let max = state.limits.max_request_bytes;
    ws.max_message_size(max).max_frame_size(max).on_upgrade(move |socket| session(state, caller, socket))
}

/// Messages waiting to be written to one client.
struct Outbox {
    tx: mpsc::Sender<ServerMessage>,
    /// Events dropped since the client was last told; the writer tells it once it caught up.
    dropped: Arc<AtomicU64>,
}

impl Outbox {
    /// A reply to the client's own request: waits for room.
    async fn reply(&self, message: ServerMessage) {
        let _ = self.tx.send(message).await;
    }

    /// An event: queued if there is room, else counted as dropped.
    fn offer(&self, message: ServerMessage) {
        if self.tx.try_send(message).is_err() {
            self.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

struct Session {
    state: AppState,
    /// Whose socket this is: submits go to its tenant, only its tenant's jobs are shown.
    caller: Caller,
    outbox: Arc<Outbox>,
    jobs: HashMap<String, JoinHandle<()>>,
    all: Option<JoinHandle<()>>,
}

async fn session(state: AppState, caller: Caller, socket: WebSocket) {
    let (mut sink, mut incoming) = socket.split();
    let (tx, mut rx) = mpsc::channel(state.limits.ws_buffer_messages.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn({
        let dropped = dropped.clone();
        async move {
            while let Some(message) = rx.recv().await {
                let mut batch = vec![message];
                // Caught up with the outbox: say what was lost meanwhile.
                if rx.is_empty() {
                    let lost = dropped.swap(0, Ordering::SeqCst);
                    if lost > 0 {
                        batch.push(ServerMessage::Lagged { dropped: lost });
                    }
                }
                for message in batch {
                    let Ok(text) = serde_json::to_string(&message) else { continue };
                    if sink.send(Message::Text(Utf8Bytes::from(text))).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let outbox = Arc::new(Outbox { tx, dropped });
    let mut session = Session { state, caller, outbox, jobs: HashMap::new(), all: None };
    while let Some(Ok(message)) = incoming.next().await {
        match message {
            // Objects only, as over HTTP (serde alone also reads a struct from an array).
            Message::Text(text) => match edge_wire::from_json::<ClientMessage>(text.as_bytes()) {
                Ok(request) => session.handle(request).await,
                Err(e) => session.error("invalid_message", format!("not a message this API knows: {e}")).await,
            },
            Message::Binary(_) => session.error("invalid_message", "send JSON text frames".into()).await,
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    session.jobs.values().for_each(JoinHandle::abort);
    if let Some(all) = session.all.take() {
        all.abort();
    }
    drop(session);
    let _ = writer.await;
}

impl Session {
    async fn handle(&mut self, request: ClientMessage) {
        match request {
            ClientMessage::Submit { .. } | ClientMessage::Cancel { .. } if !self.caller.may(Role::Submit) => {
                let role = self.caller.role.as_str();
                self.error("forbidden", format!("a `{role}` key cannot submit or cancel jobs")).await;
            }
            ClientMessage::Submit { job } => match self.state.dispatcher.submit(&self.caller.tenant, job, None).await {
                Ok(record) => {
                    self.outbox.reply(ServerMessage::Accepted { id: record.id.clone(), status: record.status }).await;
                    self.follow_job(record.id, None).await;
                }
                Err(e) => self.submit_error(e).await,
            },
            ClientMessage::Subscribe { all: true, job: None, .. } => {
                if self.all.is_none() {
                    match self.follow_all().await {
                        Ok(task) => self.all = Some(task),
                        Err(e) => return self.error("unavailable", e.to_string()).await,
                    }
                }
                self.outbox.reply(ServerMessage::Subscribed { job: None, all: true }).await;
            }
            ClientMessage::Subscribe { all: false, job: Some(job), after } => {
                if uuid::Uuid::try_parse(&job).is_err() {
                    return self.error("invalid_job_id", format!("{job:?} is not a job id")).await;
                }
                self.follow_job(job, after).await;
            }
            ClientMessage::Unsubscribe { all: true, job: None } => {
                if let Some(task) = self.all.take() {
                    task.abort();
                }
                self.outbox.reply(ServerMessage::Unsubscribed { job: None, all: true }).await;
            }
            ClientMessage::Unsubscribe { all: false, job: Some(job) } => {
                if let Some(task) = self.jobs.remove(&job) {
                    task.abort();
                }
                self.outbox.reply(ServerMessage::Unsubscribed { job: Some(job), all: false }).await;
            }
            ClientMessage::Subscribe { .. } | ClientMessage::Unsubscribe { .. } => {
                self.error("invalid_message", "give either `job` or `all: true`".into()).await;
            }
            ClientMessage::Cancel { job } => {
                if uuid::Uuid::try_parse(&job).is_err() {
                    return self.error("invalid_job_id", format!("{job:?} is not a job id")).await;
                }
                if !self.owns(&job).await {
                    return self.error("job_not_found", format!("no job {job}")).await;
                }
                match self.state.dispatcher.cancel(&job, CANCEL_WAIT).await {
                    Ok(CancelOutcome::Cancelled(r) | CancelOutcome::Requested(r)) => {
                        self.outbox.reply(ServerMessage::CancelResult { job, status: r.status }).await;
                    }
                    Ok(CancelOutcome::AlreadyFinal(r)) => {
                        let message = format!("job {job} already ended as {}", r.status.as_str());
                        self.error("already_final", message).await;
                    }
                    Ok(CancelOutcome::NotFound) => self.error("job_not_found", format!("no job {job}")).await,
                    Err(e) => self.submit_error(e).await,
                }
            }
        }
    }

    /// Streams one job's events into the outbox until its `done`.
    async fn follow_job(&mut self, id: String, after: Option<u64>) {
        if !self.owns(&id).await {
            return self.error("job_not_found", format!("no job {id}")).await;
        }
        let dispatcher = &self.state.dispatcher;
        let events = match follow(&dispatcher.js, &dispatcher.jobs, &id, after).await {
            Ok(events) => events,
            Err(FollowError::NotFound(_)) => return self.error("job_not_found", format!("no job {id}")).await,
            // `after` past the end of the events stream: the client's mistake, not an outage.
            Err(e @ FollowError::NotSent(_)) => return self.error("invalid_after", e.to_string()).await,
            Err(e) => return self.error("unavailable", e.to_string()).await,
        };
        self.outbox.reply(ServerMessage::Subscribed { job: Some(id.clone()), all: false }).await;
        let outbox = self.outbox.clone();
        let job = id.clone();
        let task = tokio::spawn(async move {
            let mut events = events;
            while let Some(stored) = events.next().await {
                if let Ok(event) = serde_json::from_slice::<JobEvent>(&stored.data) {
                    outbox.offer(ServerMessage::Event { job: job.clone(), seq: stored.sequence, event });
                }
            }
        });
        if let Some(previous) = self.jobs.insert(id, task) {
            previous.abort();
        }
    }

    /// The status and `done` events of every job, live.
    async fn follow_all(&self) -> Result<JoinHandle<()>, async_nats::SubscribeError> {
        let client = &self.state.dispatcher.client;
        let status = client.subscribe(names::all_jobs_event_subject(EventKind::Status)).await?;
        let done = client.subscribe(names::all_jobs_event_subject(EventKind::Done)).await?;
        let outbox = self.outbox.clone();
        let mut tenant = TenantFilter::new(self.caller.tenant.clone(), self.state.dispatcher.jobs.clone());
        Ok(tokio::spawn(async move {
            let mut both = futures::stream::select(status, done);
            while let Some(message) = both.next().await {
                let Some((job, _)) = names::parse_event_subject(&message.subject) else { continue };
                if let Ok(event) = serde_json::from_slice::<JobEvent>(&message.payload)
                    && tenant.allows(job, &event).await
                {
                    outbox.offer(ServerMessage::Event { job: job.to_owned(), seq: None, event });
                }
            }
        }))
    }

    /// Whether job `id` exists and belongs to the caller's tenant.
    async fn owns(&self, id: &str) -> bool {
        matches!(self.state.dispatcher.jobs.get_owned(&self.caller.tenant, id).await, Ok(Some(_)))
    }

    async fn submit_error(&self, e: SubmitError) {
        let api = super::ApiError::from(e);
        self.outbox.reply(api.into_message()).await;
    }

    async fn error(&self, code: &str, message: String) {
        self.outbox.reply(ServerMessage::Error { code: code.to_owned(), message }).await;
    }
}

/// Which jobs' events one tenant may see on the all-jobs feed (events do not name their
/// tenant; records do). Remembers the answer per job, within a bound.
struct TenantFilter {
    tenant: String,
    jobs: JobStore,
    known: HashMap<String, bool>,
}

/// Jobs remembered before the filter starts afresh.
const TENANT_FILTER_MEMORY: usize = 10_000;

impl TenantFilter {
    fn new(tenant: String, jobs: JobStore) -> Self {
        Self { tenant, jobs, known: HashMap::new() }
    }

    async fn allows(&mut self, job: &str, event: &JobEvent) -> bool {
        if let JobEvent::Done(record) = event {
            return record.tenant == self.tenant;
        }
        if let Some(&allowed) = self.known.get(job) {
            return allowed;
        }
        let allowed = matches!(self.jobs.get_owned(&self.tenant, job).await, Ok(Some(_)));
        if self.known.len() >= TENANT_FILTER_MEMORY {
            self.known.clear();
        }
        self.known.insert(job.to_owned(), allowed);
        allowed
    }
}
