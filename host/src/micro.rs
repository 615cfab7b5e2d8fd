//! The API for NATS clients: a NATS micro service, so `nats req edge.api.jobs.submit '{…}'`
//! works and `nats micro ls` lists it. Every host runs it in one queue group, so requests
//! spread over the hosts. Events are plain subjects and records plain KV entries: clients
//! read those directly.
//!
//! | subject | request | reply |
//! | --- | --- | --- |
//! | `edge.api.jobs.submit` | a job request (JSON); optional `Idempotency-Key` header | `{"id","status","links"}` |
//! | `edge.api.jobs.get` | a job id | the job record |
//! | `edge.api.jobs.cancel` | a job id | the record, once cancelled |
//! | `edge.api.components.list` | (empty) | `{"components": [...]}` |
//!
//! Requests carry the API key as `Authorization: Bearer <key>` (when the host has keys).
//! Errors carry the micro headers `Nats-Service-Error` / `Nats-Service-Error-Code` (400,
//! 404, 409, 503) with the same message the HTTP API gives.

use std::time::Duration;

use async_nats::service::{self, ServiceExt as _};
use bytes::Bytes;
use edge_wire::{JobAccepted, JobLinks, JobRequest};
use futures::StreamExt as _;
use serde::Serialize;

use crate::auth::{ApiKeys, Caller, Role};
use crate::components::StoreError;
use crate::jobs::{CancelOutcome, Dispatcher, IdempotencyError, SubmitError};

/// Name of the service in `nats micro ls`.
const SERVICE_NAME: &str = "edge";
/// Subject prefix of every endpoint.
const API_PREFIX: &str = "edge.api";
/// How long a cancel request waits for a running job to stop.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

type Reply = Result<Bytes, service::error::Error>;

/// Starts the service and serves it until the client closes.
///
/// # Errors
/// When the service or an endpoint cannot be registered.
pub async fn serve(client: async_nats::Client, dispatcher: Dispatcher, keys: ApiKeys) -> anyhow::Result<()> {
    let service = client
        .service_builder()
        .description("edge: run WebAssembly components as jobs")
        .start(SERVICE_NAME, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| anyhow::anyhow!("starting the NATS micro service: {e}"))?;
    let api = service.group(API_PREFIX);
    let mut endpoints = futures::stream::SelectAll::new();
    for (name, subject) in [
        ("jobs-submit", "jobs.submit"),
        ("jobs-get", "jobs.get"),
        ("jobs-cancel", "jobs.cancel"),
        ("components-list", "components.list"),
    ] {
        let endpoint = api
            .endpoint_builder()
            .name(name)
            .add(subject)
            .await
            .map_err(|e| anyhow::anyhow!("adding endpoint {subject}: {e}"))?;
        endpoints.push(endpoint.map(move |request| (subject, request)));
    }
    tracing::info!(subjects = %format!("{API_PREFIX}.>"), "NATS micro service ready");
    // Shared, not cloned per request: a `Dispatcher` is many NATS handles.
    let (dispatcher, keys) = (std::sync::Arc::new(dispatcher), std::sync::Arc::new(keys));
    while let Some((subject, request)) = endpoints.next().await {
        let (dispatcher, keys) = (dispatcher.clone(), keys.clone());
        tokio::spawn(async move {
            let message = &request.message;
            let header = |name: &str| message.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str());
            let presented = header("Authorization").and_then(|v| v.strip_prefix("Bearer "));
            let reply = match keys.caller(presented) {
                None => Err(error(401, "give an API key: header `Authorization: Bearer <key>`".into())),
                Some(caller) => {
                    handle(&dispatcher, &caller, subject, &message.payload, header("Idempotency-Key")).await
                }
            };
            if let Err(e) = request.respond(reply).await {
                tracing::warn!(%subject, error = %e, "cannot answer a NATS request");
            }
        });
    }
    Ok(())
}

/// `idempotency_key`: the `Idempotency-Key` header of a submit, as over HTTP.
async fn handle(
    dispatcher: &Dispatcher,
    caller: &Caller,
    subject: &str,
    payload: &[u8],
    idempotency_key: Option<&str>,
) -> Reply {
    let needed = if matches!(subject, "jobs.submit" | "jobs.cancel") { Role::Submit } else { Role::Read };
    if !caller.may(needed) {
        return Err(error(
            403,
            format!("a `{}` key cannot do this; it needs `{}`", caller.role.as_str(), needed.as_str()),
        ));
    }
    let tenant = caller.tenant.as_str();
    match subject {
        "jobs.submit" => {
            // Objects only, as over HTTP (serde alone also reads a struct from an array).
            let request: JobRequest =
                edge_wire::from_json(payload).map_err(|e| error(400, format!("not a valid job request: {e}")))?;
            let record =
                dispatcher.submit_idempotent(tenant, request, None, idempotency_key).await.map_err(submit_error)?;
            let links = JobLinks {
                record: format!("/v1/jobs/{}", record.id),
                events: format!("/v1/jobs/{}/events", record.id),
            };
            json(&JobAccepted { id: record.id, status: record.status, links })
        }
        "jobs.get" => {
            let id = job_id(payload)?;
            match dispatcher.jobs.get_owned(tenant, &id).await {
                Ok(Some(record)) => json(&record),
                Ok(None) => Err(error(404, format!("no job {id}"))),
                Err(e) => Err(error(503, e.to_string())),
            }
        }
        "jobs.cancel" => {
            let id = job_id(payload)?;
            match dispatcher.jobs.get_owned(tenant, &id).await {
                Ok(Some(_)) => {}
                Ok(None) => return Err(error(404, format!("no job {id}"))),
                Err(e) => return Err(error(503, e.to_string())),
            }
            match dispatcher.cancel(&id, CANCEL_WAIT).await.map_err(submit_error)? {
                CancelOutcome::Cancelled(record) | CancelOutcome::Requested(record) => json(&record),
                CancelOutcome::AlreadyFinal(record) => {
                    Err(error(409, format!("job {id} already ended as {}", record.status.as_str())))
                }
                CancelOutcome::NotFound => Err(error(404, format!("no job {id}"))),
            }
        }
        "components.list" => match dispatcher.components.list(tenant).await {
            Ok(components) => json(&serde_json::json!({ "components": components })),
            Err(StoreError::NotFound(what)) => Err(error(404, format!("no component {what}"))),
            Err(e) => Err(error(503, e.to_string())),
        },
        other => Err(error(404, format!("no endpoint {other}"))),
    }
}

/// A job id as plain text (`nats req edge.api.jobs.get <id>`) or as `{"id": "<id>"}`.
fn job_id(payload: &[u8]) -> Result<String, service::error::Error> {
    let text = std::str::from_utf8(payload).map_err(|_| error(400, "the job id is not text".into()))?.trim();
    let id = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => map.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_owned(),
        _ => text.trim_matches('"').to_owned(),
    };
    match uuid::Uuid::try_parse(&id) {
        Ok(_) => Ok(id),
        Err(_) => Err(error(400, format!("{id:?} is not a job id"))),
    }
}

fn submit_error(e: SubmitError) -> service::error::Error {
    let code = match e {
        SubmitError::ComponentNotFound(_) => 404,
        SubmitError::Unavailable(_) | SubmitError::Idempotency(IdempotencyError::Unavailable(_)) => 503,
        SubmitError::Idempotency(IdempotencyError::Reused(_)) => 422,
        SubmitError::Idempotency(IdempotencyError::InProgress(_)) => 409,
        _ => 400,
    };
    error(code, e.to_string())
}

fn error(code: usize, status: String) -> service::error::Error {
    service::error::Error { status, code }
}

fn json(value: &impl Serialize) -> Reply {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| error(500, e.to_string()))
}
