//! Prometheus metrics of a host.

use anyhow::Context as _;
use edge_wire::{EventKind, JobStatus, Usage};
use futures::StreamExt as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;

use crate::nats::names;

/// Buckets of the job duration histograms, in seconds.
const DURATION_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Installs the process-wide recorder.
///
/// # Errors
/// When a recorder is already installed.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    metrics::describe_counter!("edge_jobs_submitted_total", "Jobs accepted by this host.");
    metrics::describe_counter!("edge_jobs_completed_total", "Jobs that reached a final status, by status.");
    metrics::describe_histogram!("edge_job_run_seconds", "Wall time of finished jobs.");
    metrics::describe_histogram!("edge_job_queue_seconds", "Time finished jobs waited for an executor.");
    metrics::describe_gauge!("edge_jobs_queue_depth", "Jobs waiting for an executor.");
    metrics::describe_gauge!("edge_jobs_in_flight", "Jobs handed to executors and not yet acked.");
    Ok(handle)
}

/// What the metrics need of a `done` event (the final record, flattened into the event):
/// read directly, without building the whole record.
#[derive(Deserialize)]
struct Finished {
    status: JobStatus,
    usage: Usage,
}

/// Counts the jobs that finish on the platform, from the `done` events. The hosts share
/// them as one queue group, so each end is counted by one host: sum over hosts, as for
/// `edge_jobs_submitted_total`.
pub async fn observe_completions(client: async_nats::Client) -> anyhow::Result<()> {
    let subject = names::all_jobs_event_subject(EventKind::Done);
    let mut done = client.queue_subscribe(subject, names::METRICS_QUEUE_GROUP.to_owned()).await?;
    while let Some(message) = done.next().await {
        let Ok(record) = serde_json::from_slice::<Finished>(&message.payload) else { continue };
        metrics::counter!("edge_jobs_completed_total", "status" => record.status.as_str()).increment(1);
        metrics::histogram!("edge_job_run_seconds").record(record.usage.wall_ms as f64 / 1000.0);
        metrics::histogram!("edge_job_queue_seconds").record(record.usage.queue_ms as f64 / 1000.0);
    }
    Ok(())
}
