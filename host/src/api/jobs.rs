//! `POST /v1/jobs`, `GET /v1/jobs`, `GET /v1/jobs/{id}`, cancel, retry, webhook redrive.

use axum::{Extension, Json};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use edge_wire::{JobAccepted, JobLinks, JobList, JobRecord, JobRequest, JobStatus};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::auth::Caller;
use crate::jobs::{CancelOutcome, RetryError};

/// Most records `GET /v1/jobs` answers with.
const MAX_LIST: usize = 500;
/// Records `GET /v1/jobs` answers with unless `?limit=` says otherwise.
const DEFAULT_LIST: usize = 50;

#[derive(Deserialize)]
pub struct SubmitQuery {
    /// How long to wait for the job to finish: `30s`, `500ms`.
    wait: Option<String>,
}

/// Queues a job: `202` with its id and links, or with `?wait=` and a job that finished in
/// time, `200` with the final record.
pub async fn submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<SubmitQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            ApiError::bad_request("invalid_idempotency_key", "the Idempotency-Key must be visible ASCII")
        })?),
    };
    let wait = match query.wait.as_deref() {
        None => None,
        Some(text) => {
            let wait = humantime::parse_duration(text).map_err(|e| {
                ApiError::bad_request("invalid_query", format!("`wait` must be a duration like 30s or 500ms: {e}"))
            })?;
            if wait > state.limits.max_wait {
                let max = humantime::format_duration(state.limits.max_wait);
                return Err(ApiError::bad_request("invalid_query", format!("`wait` must be at most {max}")));
            }
            Some(wait)
        }
    };
    // Not serde_json::from_slice: that also reads a struct from an array of its fields.
    let request: JobRequest = edge_wire::from_json(&body?)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not a valid job request: {e}")))?;
    let record = state.dispatcher.submit_idempotent(&caller.tenant, request, wait, idempotency_key).await?;
    // A repeat of an idempotent submission may find the job over: without `wait` it is
    // still answered like the first request was.
    if wait.is_some() && record.status.is_final() {
        return Ok((StatusCode::OK, Json(record)).into_response());
    }
    Ok(accepted(record))
}

/// `202` with the job's id and links.
fn accepted(record: JobRecord) -> Response {
    let links =
        JobLinks { record: format!("/v1/jobs/{}", record.id), events: format!("/v1/jobs/{}/events", record.id) };
    let accepted = JobAccepted { id: record.id, status: record.status, links };
    (StatusCode::ACCEPTED, Json(accepted)).into_response()
}

/// Queues a job that ran out of deliveries again, as a new job: `202` with its id and
/// links; the new record names the old one in `retry_of`.
pub async fn retry(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    owned_job(&state, &caller, &id).await?;
    match state.dispatcher.retry(&id, &state.dead_letters).await {
        Ok(record) => Ok(accepted(record)),
        Err(RetryError::NotFound) => Err(ApiError::new(StatusCode::NOT_FOUND, "job_not_found", format!("no job {id}"))),
        Err(e @ RetryError::NotRetryable(_)) => {
            Err(ApiError::new(StatusCode::CONFLICT, "not_retryable", e.to_string()))
        }
        Err(RetryError::Submit(e)) => Err(e.into()),
    }
}

/// Job ids are UUIDs; anything else is refused before it reaches NATS.
pub fn check_job_id(id: &str) -> Result<(), ApiError> {
    match uuid::Uuid::try_parse(id) {
        Ok(_) => Ok(()),
        Err(_) => Err(ApiError::bad_request("invalid_job_id", format!("{id:?} is not a job id"))),
    }
}

pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, ApiError> {
    Ok(Json(owned_job(&state, &caller, &id).await?))
}

/// The record of job `id` if it belongs to the caller's tenant, else `404`.
pub async fn owned_job(state: &AppState, caller: &Caller, id: &str) -> Result<JobRecord, ApiError> {
    check_job_id(id)?;
    match state.dispatcher.jobs.get_owned(&caller.tenant, id).await? {
        Some(record) => Ok(record),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "job_not_found", format!("no job {id}"))),
    }
}

/// How long `DELETE` waits for a running job to stop before answering `202`.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

/// Cancels a job: `200` with the final record, `202` if the executor has not confirmed yet,
/// `409` if it had already ended.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    owned_job(&state, &caller, &id).await?;
    match state.dispatcher.cancel(&id, CANCEL_WAIT).await? {
        CancelOutcome::Cancelled(record) => Ok((StatusCode::OK, Json(record)).into_response()),
        CancelOutcome::Requested(record) => Ok((StatusCode::ACCEPTED, Json(record)).into_response()),
        CancelOutcome::AlreadyFinal(record) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_final",
            format!("job {id} already ended as {}", record.status.as_str()),
        )),
        CancelOutcome::NotFound => Err(ApiError::new(StatusCode::NOT_FOUND, "job_not_found", format!("no job {id}"))),
    }
}

/// Queues a fresh delivery of a webhook that gave up: `202` with the record.
pub async fn redrive_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    owned_job(&state, &caller, &id).await?;
    let dispatcher = &state.dispatcher;
    match crate::webhooks::sender::redrive(&dispatcher.js, &dispatcher.jobs, &id).await? {
        Some(record) => Ok((StatusCode::ACCEPTED, Json(record)).into_response()),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_failed",
            format!("job {id} has no webhook delivery that gave up"),
        )),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
    status: Option<JobStatus>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<JobList>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(DEFAULT_LIST);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", format!("`limit` must be between 1 and {MAX_LIST}")));
    }
    Ok(Json(JobList { jobs: state.dispatcher.jobs.recent(&caller.tenant, limit, query.status).await? }))
}
