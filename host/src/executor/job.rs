//! One job on an executor, from its message to its ack: run it (announcing it only if it
//! outlasts `--announce-after`), write its end, settle the message.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use edge_wire::{JobError, JobEvent, JobRecord, JobSpec, JobStatus, Output, Usage};
use tokio::sync::mpsc;

use super::output::pump_output;
use super::worker::Executor;
use crate::clock::{now_ms, now_rfc3339};
use crate::jobs::{JobStoreError, QUEUED, announce_end};
use crate::runtime::{CacheError, CancelSignal, GuestEvent, LoadedFrom, RunInput, RunOutcome};

/// Delay before a job that hit a passing failure is offered again.
const RETRY_DELAY: Duration = Duration::from_secs(2);

/// A job that should be offered again later.
struct Retry(String);

/// Why a job could not be marked running.
enum Start {
    /// The record was not at the revision assumed (a cancel).
    Changed,
    Retry(Retry),
}

impl From<JobStoreError> for Retry {
    fn from(e: JobStoreError) -> Self {
        Self(e.to_string())
    }
}

impl Executor {
    /// Runs the job in `message`, then acks it, or naks it to be offered again later.
    pub(super) async fn handle(&self, message: jetstream::Message) {
        let spec: JobSpec = match serde_json::from_slice(&message.payload) {
            Ok(spec) => spec,
            Err(e) => {
                tracing::error!(error = %e, "dropping a job message that is not a job spec");
                let _ = message.ack_with(AckKind::Term).await;
                return;
            }
        };
        let attempt = message.info().map(|info| u32::try_from(info.delivered).unwrap_or(u32::MAX)).unwrap_or(1);
        let id = spec.id.clone();

        // Long jobs must not be redelivered while they run: in-progress acks alongside the
        // job, in this task rather than in a task of their own per job.
        let every = self.config.ack_wait / 3;
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let work = self.process(spec, attempt);
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                _ = keep_alive.tick() => {
                    if let Err(e) = message.ack_with(AckKind::Progress).await {
                        tracing::warn!(error = %e, "cannot extend the job's ack deadline");
                    }
                }
            }
        };
        match result {
            Ok(()) => {
                // Not a double ack: if this one is lost, the redelivery finds the record
                // final and only acks again, so a confirmation round trip buys nothing.
                if let Err(e) = message.ack().await {
                    tracing::warn!(job = %id, error = %e, "cannot ack");
                }
            }
            Err(Retry(reason)) => {
                tracing::warn!(job = %id, %reason, "job will be retried");
                let _ = message.ack_with(AckKind::Nak(Some(RETRY_DELAY))).await;
            }
        }
    }

    async fn process(&self, spec: JobSpec, attempt: u32) -> Result<(), Retry> {
        // Registered before anything else: a cancel that comes from now on stops the job.
        let registered = self.cancels.register(&spec.id);
        // A first attempt starts from the record in the message: nobody else can have
        // written one, except a cancel (which also took the message off the queue and
        // signals; its record wins over this attempt's final write).
        if attempt == 1 {
            let record = (*spec.queued).clone();
            return self.run_to_end(&spec, attempt, record, QUEUED, registered.signal.clone()).await;
        }
        // A redelivery: an earlier attempt may have written the record; if none did, it is
        // still the one in the message.
        let (record, revision) = match self.jobs.stored(&spec.id).await? {
            Some(stored) => stored,
            None => ((*spec.queued).clone(), QUEUED),
        };
        if record.status.is_final() {
            // Finished by an earlier attempt that died before its ack, or given up
            // meanwhile: make sure `done` went out (deduped if it did), then let it go.
            tracing::info!(job = %spec.id, status = record.status.as_str(), "job already final");
            return self.publish_done(&record).await;
        }
        self.run_to_end(&spec, attempt, record, revision, registered.signal.clone()).await
    }

    /// Runs the job, announcing it as `running` only if it outlasts `announce_after`, then
    /// stores the final record (compare-and-set on the last revision this attempt knows)
    /// and announces the end.
    async fn run_to_end(
        &self,
        spec: &JobSpec,
        attempt: u32,
        mut record: JobRecord,
        mut revision: u64,
        cancel: Arc<CancelSignal>,
    ) -> Result<(), Retry> {
        let started_ms = now_ms();
        record.attempts = attempt;
        record.executor = Some(self.config.id.clone());
        record.started_at = Some(now_rfc3339());
        tracing::debug!(job = %spec.id, attempt, digest = %spec.digest, "job started");

        // Output waits in the channel until the job is announced; a job that ends sooner
        // carries all of it in its final record, and its `done` is its only event.
        let (sink, output) = mpsc::unbounded_channel();
        let run = self.prepare_and_run(spec, cancel.clone(), sink);
        tokio::pin!(run);
        let mut pump = None;
        let ended_unannounced = match self.config.announce_after {
            Duration::ZERO => None,
            after => tokio::time::timeout(after, &mut run).await.ok(),
        };
        let outcome = match ended_unannounced {
            Some(outcome) => outcome,
            None => {
                // The guest keeps running while the announcement goes out; the end is not
                // written before the announcement settled, so its revision is known.
                let announce_and_stream = async {
                    let revision = self.announce(spec, attempt, &record, revision).await?;
                    let pump = tokio::spawn(pump_output(output, self.events.clone(), spec.id.clone(), attempt));
                    Ok::<_, Start>((revision, pump))
                };
                let (announced, outcome) = tokio::join!(announce_and_stream, &mut run);
                match announced {
                    Ok((running_revision, streaming)) => {
                        revision = running_revision;
                        pump = Some(streaming);
                    }
                    // Cancelled while it started: stop; the final write finds the record final.
                    Err(Start::Changed) => cancel.cancel(),
                    Err(Start::Retry(Retry(reason))) => {
                        tracing::warn!(job = %spec.id, %reason, "cannot mark the job running; it goes on");
                    }
                }
                outcome
            }
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(CacheError::Unavailable { reason, .. }) => return Err(Retry(reason)),
            Err(e @ CacheError::Unusable { .. }) => failed_before_start("component_unusable", e.to_string()),
        };
        if let Some(pump) = pump {
            // The sink closed with the store: the pump sends what is left and ends.
            let _ = pump.await;
        }
        fill_record(&mut record, outcome, started_ms.saturating_sub(spec.submitted_at_ms));
        match self.jobs.update(&record, revision).await {
            Ok(_) => {}
            Err(JobStoreError::Conflict) => {
                // Someone else wrote meanwhile (a cancel, or another attempt after a lost
                // lease): keep theirs if it is final, else let the job come round again.
                return match self.jobs.get(&spec.id).await? {
                    Some((other, _)) if other.status.is_final() => Ok(()),
                    _ => Err(Retry("record changed while the job ran".into())),
                };
            }
            Err(e) => return Err(e.into()),
        }
        self.done.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            job = %spec.id,
            status = record.status.as_str(),
            exit_code = ?record.exit_code,
            wall_ms = record.usage.wall_ms,
            "job finished"
        );
        self.publish_done(&record).await
    }

    /// Marks the job `running` (compare-and-set on `revision`) and sends its `status`
    /// event; returns the new revision.
    async fn announce(&self, spec: &JobSpec, attempt: u32, record: &JobRecord, revision: u64) -> Result<u64, Start> {
        let running = JobRecord { status: JobStatus::Running, ..record.clone() };
        let revision = match self.jobs.update(&running, revision).await {
            Ok(revision) => revision,
            Err(JobStoreError::Conflict) => return Err(Start::Changed),
            Err(e) => return Err(Start::Retry(e.into())),
        };
        let status = JobEvent::Status { status: JobStatus::Running, attempt, executor: running.executor };
        if let Err(e) = self.events.publish(&spec.id, &status, None).await {
            tracing::warn!(job = %spec.id, error = %e, "cannot publish status");
        }
        Ok(revision)
    }

    async fn publish_done(&self, record: &JobRecord) -> Result<(), Retry> {
        announce_end(&self.js, record).await.map_err(|e| Retry(format!("cannot announce the end: {e}")))
    }

    async fn prepare_and_run(
        &self,
        spec: &JobSpec,
        cancel: Arc<CancelSignal>,
        sink: mpsc::UnboundedSender<GuestEvent>,
    ) -> Result<RunOutcome, CacheError> {
        let runtime = self.cache.runtime();
        let max_memory_mb = runtime.settings().max_memory_mb;
        if spec.limits.memory_mb > max_memory_mb {
            let reason =
                format!("the job asks for {} MiB; this executor allows {max_memory_mb} MiB", spec.limits.memory_mb);
            return Ok(failed_before_start("executor_limits", reason));
        }
        let stdin = match STANDARD.decode(&spec.stdin_base64) {
            Ok(stdin) => stdin,
            Err(e) => return Ok(failed_before_start("invalid_spec", format!("stdin is not base64: {e}"))),
        };
        let loading = std::time::Instant::now();
        let (ready, loaded_from) = self.cache.get(&spec.digest, spec.kind).await?;
        if loaded_from != LoadedFrom::Memory {
            let load_ms = loading.elapsed().as_secs_f64() * 1e3;
            tracing::info!(digest = %spec.digest, source = loaded_from.as_str(), load_ms, "component loaded");
        }
        let input = RunInput {
            args: spec.args.clone(),
            env: spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            stdin,
            limits: spec.limits,
            sink: Some(sink),
            cancel,
        };
        Ok(runtime.run(&ready, input).await)
    }
}

fn failed_before_start(code: &str, message: String) -> RunOutcome {
    RunOutcome {
        status: JobStatus::Failed,
        exit_code: None,
        error: Some(JobError { code: code.into(), message }),
        stdout: Vec::new(),
        stderr: Vec::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        wall: Duration::ZERO,
        fuel_used: None,
        peak_memory_bytes: 0,
        output_bytes: 0,
    }
}

fn fill_record(record: &mut JobRecord, outcome: RunOutcome, queue_ms: u64) {
    record.status = outcome.status;
    record.exit_code = outcome.exit_code;
    record.error = outcome.error;
    record.stdout = Output::from_bytes(&outcome.stdout, outcome.stdout_truncated);
    record.stderr = Output::from_bytes(&outcome.stderr, outcome.stderr_truncated);
    record.usage = Usage {
        wall_ms: u64::try_from(outcome.wall.as_millis()).unwrap_or(u64::MAX),
        queue_ms,
        fuel_used: outcome.fuel_used,
        peak_memory_bytes: outcome.peak_memory_bytes,
        output_bytes: outcome.output_bytes,
    };
    record.finished_at = Some(now_rfc3339());
}
