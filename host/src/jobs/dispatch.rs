//! Turns a job request into a queued job: checks it, records it, and publishes it to the
//! executors' work queue with the job id as the dedupe id.

use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use edge_wire::{ComponentKind, EventKind, JobEvent, JobRecord, JobRequest, JobSpec, JobStatus, Limits, Usage};
use futures::StreamExt as _;

use super::idempotency::{Claimed, IdempotencyError, IdempotencyKeys};
use super::{JobStore, JobStoreError, LimitError, LimitPolicy};
use crate::clock::{now_ms, now_rfc3339};
use crate::components::{ComponentRef, ComponentStore, NameError, StoreError};
use crate::nats::names;
use crate::webhooks::{UrlPolicy, WebhookError, Webhooks};

/// Why a submission was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request is malformed.
    #[error("{0}")]
    InvalidRequest(String),
    /// The component reference is neither a name nor a digest.
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// A limit is out of range.
    #[error(transparent)]
    Limits(#[from] LimitError),
    /// No such component.
    #[error("no component {0}: upload it with POST /v1/components?name=...")]
    ComponentNotFound(String),
    /// The component is not of a kind that runs as a job.
    #[error("component {reference} is a `{kind}` component; only `command` and `job` components run as jobs")]
    UnsupportedKind { reference: String, kind: &'static str },
    /// The webhook is refused.
    #[error("{0}")]
    InvalidWebhook(String),
    /// The idempotency key is malformed, reused or busy.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// NATS failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<WebhookError> for SubmitError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Invalid(message) => Self::InvalidWebhook(message),
            WebhookError::Unavailable(message) => Self::Unavailable(message),
        }
    }
}

impl From<StoreError> for SubmitError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::ComponentNotFound(what),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<JobStoreError> for SubmitError {
    fn from(e: JobStoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Submits jobs. One per host; cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    pub components: ComponentStore,
    pub jobs: JobStore,
    pub js: jetstream::Context,
    pub client: async_nats::Client,
    pub policy: LimitPolicy,
    pub webhooks: Webhooks,
    pub idempotency: IdempotencyKeys,
}

/// How long a repeat waits for the job record of the first request with its key.
const FIRST_REQUEST_PATIENCE: Duration = Duration::from_secs(5);

impl Dispatcher {
    /// [`Dispatcher::submit`] with an optional `Idempotency-Key`: a repeat of a request with
    /// the same key returns the first one's job (waiting like the first when `wait` is set).
    ///
    /// # Errors
    /// As `submit`, and [`SubmitError::Idempotency`] for a malformed or reused key.
    pub async fn submit_idempotent(
        &self,
        tenant: &str,
        request: JobRequest,
        wait: Option<Duration>,
        key: Option<&str>,
    ) -> Result<JobRecord, SubmitError> {
        let Some(key) = key else { return self.submit(tenant, request, wait).await };
        // Each tenant has its own keys.
        let scope = tenant;
        let id = uuid::Uuid::now_v7().to_string();
        let fingerprint = serde_json::to_vec(&request).map_err(|e| SubmitError::InvalidRequest(e.to_string()))?;
        match self.idempotency.claim(scope, key, &id, &fingerprint).await? {
            Claimed::Existing(job) => self.first_with_key(&job, wait).await,
            Claimed::New => match self.submit_as(tenant, id, request, wait).await {
                Ok(record) => Ok(record),
                Err(e) => {
                    self.idempotency.release(scope, key).await;
                    Err(e)
                }
            },
        }
    }

    /// The job of the first request with a key, once its record exists.
    async fn first_with_key(&self, id: &str, wait: Option<Duration>) -> Result<JobRecord, SubmitError> {
        let deadline = tokio::time::Instant::now() + FIRST_REQUEST_PATIENCE;
        let record = loop {
            if let Some((record, _)) = self.jobs.get(id).await? {
                break record;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(IdempotencyError::InProgress(id.to_owned()).into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let Some(wait) = wait.filter(|_| !record.status.is_final()) else { return Ok(record) };
        let mut done = self.subscribe_done(id).await?;
        // Read again after subscribing: it may have ended in between.
        if let Some((record, _)) = self.jobs.get(id).await?
            && record.status.is_final()
        {
            return Ok(record);
        }
        self.record_at_end(id, &mut done, wait, record).await
    }

    /// `done` of job `id`, subscribed before anything can make it happen.
    async fn subscribe_done(&self, id: &str) -> Result<async_nats::Subscriber, SubmitError> {
        self.client
            .subscribe(names::event_subject(id, EventKind::Done))
            .await
            .map_err(|e| SubmitError::Unavailable(e.to_string()))
    }

    /// The final record from `done` if it comes within `wait`, else the record as stored
    /// then (or `last_seen` if there is none).
    async fn record_at_end(
        &self,
        id: &str,
        done: &mut async_nats::Subscriber,
        wait: Duration,
        last_seen: JobRecord,
    ) -> Result<JobRecord, SubmitError> {
        // `done` carries the final record: no need to read it back.
        if let Ok(Some(message)) = tokio::time::timeout(wait, done.next()).await
            && let Ok(JobEvent::Done(last)) = serde_json::from_slice::<JobEvent>(&message.payload)
        {
            return Ok(*last);
        }
        Ok(self.jobs.get(id).await?.map_or(last_seen, |(current, _)| current))
    }

    /// Queues a job. With `wait`, waits up to that long for it to finish and returns the
    /// record as it is then (final or not).
    ///
    /// # Errors
    /// [`SubmitError`] saying what is wrong with the request, or that NATS failed.
    pub async fn submit(
        &self,
        tenant: &str,
        request: JobRequest,
        wait: Option<Duration>,
    ) -> Result<JobRecord, SubmitError> {
        self.submit_as(tenant, uuid::Uuid::now_v7().to_string(), request, wait).await
    }

    async fn submit_as(
        &self,
        tenant: &str,
        id: String,
        request: JobRequest,
        wait: Option<Duration>,
    ) -> Result<JobRecord, SubmitError> {
        let ValidRequest { stdin, reference, limits } = validate(&request, &self.policy, &self.webhooks.policy)?;
        let (digest, kind) = self.components.resolve(tenant, &reference).await?;
        if !matches!(kind, ComponentKind::Command | ComponentKind::Job) {
            return Err(SubmitError::UnsupportedKind { reference: request.component, kind: kind.as_str() });
        }

        let webhook = match &request.webhook {
            Some(webhook) => Some(self.webhooks.register(&id, webhook).await?),
            None => None,
        };
        let record =
            JobRecord { webhook, ..queued_record(&id, tenant, &request.component, &digest, &request.args, limits) };
        let spec = JobSpec {
            id: id.clone(),
            digest,
            kind,
            args: request.args,
            env: request.env,
            stdin_base64: STANDARD.encode(stdin),
            limits,
            submitted_at_ms: now_ms(),
            queued: Box::new(record),
        };
        self.queue(spec, wait).await
    }

    /// Publishes `spec` (its queued record with it) and, with `wait`, waits for the end.
    pub(super) async fn queue(&self, spec: JobSpec, wait: Option<Duration>) -> Result<JobRecord, SubmitError> {
        let id = spec.id.clone();
        // Subscribe before publishing so the `done` event cannot slip past.
        let mut done = match wait {
            Some(_) => Some(self.subscribe_done(&id).await?),
            None => None,
        };
        if let Err(e) = self.publish(&spec).await {
            self.mark_undispatched(&id, &e).await;
            return Err(e);
        }
        metrics::counter!("edge_jobs_submitted_total").increment(1);

        let record = *spec.queued;
        match (wait, done.as_mut()) {
            (Some(wait), Some(done)) => self.record_at_end(&id, done, wait, record).await,
            _ => Ok(record),
        }
    }

    async fn publish(&self, spec: &JobSpec) -> Result<(), SubmitError> {
        let payload = serde_json::to_vec(spec).map_err(|e| SubmitError::Unavailable(e.to_string()))?;
        let message = PublishMessage::build().payload(Bytes::from(payload)).message_id(&spec.id);
        let ack = self
            .js
            .send_publish(names::job_subject(&spec.id), message)
            .await
            .map_err(|e| SubmitError::Unavailable(format!("cannot queue the job: {e}")))?;
        ack.await.map_err(|e| SubmitError::Unavailable(format!("the job queue did not confirm: {e}")))?;
        Ok(())
    }

    /// The client is told the job was not queued; if the publish went through after all
    /// (only its confirmation was lost), the job must not run: it is ended as `failed`.
    async fn mark_undispatched(&self, id: &str, cause: &SubmitError) {
        if let Ok(Some((mut record, revision))) = self.jobs.get(id).await
            && !record.status.is_final()
        {
            record.status = JobStatus::Failed;
            record.error = Some(edge_wire::JobError { code: "dispatch".into(), message: cause.to_string() });
            record.finished_at = Some(now_rfc3339());
            match self.jobs.update(&record, revision).await {
                Ok(_) => {
                    if let Err(e) = self.withdraw(id).await {
                        tracing::warn!(job = id, error = %e, "cannot withdraw undispatched job");
                    }
                }
                Err(e) => tracing::warn!(job = id, error = %e, "cannot mark undispatched job failed"),
            }
        }
    }
}

/// What [`validate`] makes of a request that passed.
pub(crate) struct ValidRequest {
    pub stdin: Vec<u8>,
    pub reference: ComponentRef,
    pub limits: Limits,
}

/// Every check of a job request that needs no NATS, before anything is stored; the fuzz
/// target `job_request` runs this very function.
///
/// # Errors
/// [`SubmitError`] for the first thing wrong with the request.
pub(crate) fn validate(
    request: &JobRequest,
    limits: &LimitPolicy,
    webhooks: &UrlPolicy,
) -> Result<ValidRequest, SubmitError> {
    let stdin = stdin_bytes(request)?;
    check_args_and_env(request)?;
    let reference = ComponentRef::parse(&request.component)?;
    let limits = limits.resolve(&request.limits)?;
    if let Some(webhook) = &request.webhook {
        crate::webhooks::check(webhooks, webhook)?;
    }
    Ok(ValidRequest { stdin, reference, limits })
}

/// A new record in `queued`, before any attempt.
pub(super) fn queued_record(
    id: &str,
    tenant: &str,
    component: &str,
    digest: &str,
    args: &[String],
    limits: Limits,
) -> JobRecord {
    JobRecord {
        id: id.to_owned(),
        tenant: tenant.to_owned(),
        component: component.to_owned(),
        digest: digest.to_owned(),
        args: args.to_vec(),
        status: JobStatus::Queued,
        exit_code: None,
        stdout: Default::default(),
        stderr: Default::default(),
        error: None,
        attempts: 0,
        executor: None,
        limits,
        usage: Usage::default(),
        created_at: now_rfc3339(),
        started_at: None,
        finished_at: None,
        webhook: None,
        retry_of: None,
    }
}

fn stdin_bytes(request: &JobRequest) -> Result<Vec<u8>, SubmitError> {
    match (&request.stdin, &request.stdin_base64) {
        (Some(_), Some(_)) => Err(SubmitError::InvalidRequest("give `stdin` or `stdin_base64`, not both".into())),
        (Some(text), None) => Ok(text.as_bytes().to_vec()),
        (None, Some(b64)) => STANDARD
            .decode(b64)
            .map_err(|e| SubmitError::InvalidRequest(format!("`stdin_base64` is not valid base64: {e}"))),
        (None, None) => Ok(Vec::new()),
    }
}

fn check_args_and_env(request: &JobRequest) -> Result<(), SubmitError> {
    let invalid = |m: String| Err(SubmitError::InvalidRequest(m));
    if request.args.iter().any(|a| a.contains('\0')) {
        return invalid("`args` must not contain NUL characters".into());
    }
    for (key, value) in &request.env {
        if key.is_empty() || key.contains(['=', '\0']) {
            return invalid(format!("env name {key:?} must be non-empty, without `=` or NUL"));
        }
        if value.contains('\0') {
            return invalid(format!("env value of {key:?} must not contain NUL"));
        }
    }
    Ok(())
}
