//! Prometheus metrics of a host.

use anyhow::Context as _;
use edge_wire::{EventKind, JobEvent};
use futures::StreamExt as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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

/// Counts every job that finishes on the platform, from the `done` events. Each host
/// counts all of them, so sum over hosts with care (`max by` of one host is the total).
pub async fn observe_completions(client: async_nats::Client) -> anyhow::Result<()> {
    let mut done = client.subscribe(names::all_jobs_event_subject(EventKind::Done)).await?;
    while let Some(message) = done.next().await {
        let Ok(JobEvent::Done(record)) = serde_json::from_slice::<JobEvent>(&message.payload) else {
            continue;
        };
        metrics::counter!("edge_jobs_completed_total", "status" => record.status.as_str()).increment(1);
        metrics::histogram!("edge_job_run_seconds").record(record.usage.wall_ms as f64 / 1000.0);
        metrics::histogram!("edge_job_queue_seconds").record(record.usage.queue_ms as f64 / 1000.0);
    }
    Ok(())
}
