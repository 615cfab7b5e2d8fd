//! Every name edge uses on NATS, with builders and parsers, so no other code formats a
//! subject by hand. `nats/` holds the definitions of the streams, consumer and buckets
//! named here.

use edge_wire::EventKind;

/// Work-queue stream of jobs to run.
pub const JOBS_STREAM: &str = "EDGE_JOBS";
/// Subjects jobs are submitted on: `edge.jobs.submit.<job_id>`, see [`job_subject`].
pub const JOBS_SUBMIT: &str = "edge.jobs.submit.*";
const JOBS_SUBMIT_PREFIX: &str = "edge.jobs.submit";
/// Durable pull consumer shared by all executors.
pub const EXECUTORS_CONSUMER: &str = "executors";
/// Stream of job events.
pub const EVENTS_STREAM: &str = "EDGE_EVENTS";
/// KV bucket of job records.
pub const JOBS_BUCKET: &str = "edge_jobs";
/// KV bucket of component names.
pub const NAMES_BUCKET: &str = "edge_names";
/// KV bucket of webhook URLs and secrets.
pub const WEBHOOKS_BUCKET: &str = "edge_webhooks";
/// Work-queue stream of webhook deliveries.
pub const WEBHOOKS_STREAM: &str = "EDGE_WEBHOOKS";
/// Subject webhook deliveries are queued on.
pub const WEBHOOKS_DELIVER: &str = "edge.webhooks.deliver";
/// Durable consumer shared by the hosts that send webhooks.
pub const WEBHOOK_SENDERS_CONSUMER: &str = "webhook-senders";
/// KV bucket of executor heartbeats.
pub const EXECUTORS_BUCKET: &str = "edge_executors";
/// Object store of component bytes.
pub const COMPONENTS_BUCKET: &str = "edge_components";
/// Object store of precompiled components.
pub const PRECOMPILED_BUCKET: &str = "edge_precompiled";
/// Job messages of jobs that ran out of deliveries, by job id.
pub const DEAD_LETTERS_BUCKET: &str = "edge_dead_letters";
/// Idempotency keys of submissions.
pub const IDEMPOTENCY_BUCKET: &str = "edge_idempotency";
/// Advisories of jobs that ran out of deliveries.
pub const DEAD_LETTERS_STREAM: &str = "EDGE_DEAD_LETTERS";

/// Queue group of the hosts counting finished jobs for their metrics.
pub const METRICS_QUEUE_GROUP: &str = "edge-metrics";

const EVENTS_PREFIX: &str = "edge.events";
const CANCEL_PREFIX: &str = "edge.jobs.cancel";

/// `edge.jobs.submit.<job_id>`: the job's message in the work queue. A subject per job lets
/// a host find a queued job (its record is in the message) and take it off the queue.
pub fn job_subject(job_id: &str) -> String {
    format!("{JOBS_SUBMIT_PREFIX}.{job_id}")
}

/// The job id of a job's subject in the work queue.
pub fn parse_job_subject(subject: &str) -> Option<&str> {
    subject.strip_prefix(JOBS_SUBMIT_PREFIX)?.strip_prefix('.').filter(|id| !id.is_empty() && !id.contains('.'))
}

/// `edge.jobs.cancel.<job_id>`: plain NATS (not stored); whichever executor runs the job
/// stops it.
pub fn cancel_subject(job_id: &str) -> String {
    format!("{CANCEL_PREFIX}.{job_id}")
}

/// `edge.jobs.cancel.*`: what executors listen on.
pub fn all_cancel_subject() -> String {
    format!("{CANCEL_PREFIX}.*")
}

/// The job id of a cancel subject.
pub fn parse_cancel_subject(subject: &str) -> Option<&str> {
    subject.strip_prefix(CANCEL_PREFIX)?.strip_prefix('.').filter(|id| !id.is_empty() && !id.contains('.'))
}

/// `edge.events.<job_id>.<kind>`
pub fn event_subject(job_id: &str, kind: EventKind) -> String {
    format!("{EVENTS_PREFIX}.{job_id}.{}", kind.as_str())
}

/// `edge.events.*.<kind>`: one kind of event of every job.
pub fn all_jobs_event_subject(kind: EventKind) -> String {
    format!("{EVENTS_PREFIX}.*.{}", kind.as_str())
}

/// `edge.events.<job_id>.>`: every event of one job.
pub fn job_events_filter(job_id: &str) -> String {
    format!("{EVENTS_PREFIX}.{job_id}.>")
}

/// Splits `edge.events.<job_id>.<kind>` back into its job id and kind.
pub fn parse_event_subject(subject: &str) -> Option<(&str, EventKind)> {
    let rest = subject.strip_prefix(EVENTS_PREFIX)?.strip_prefix('.')?;
    let (job_id, kind) = rest.rsplit_once('.')?;
    if job_id.is_empty() || job_id.contains('.') {
        return None;
    }
    Some((job_id, EventKind::parse(kind)?))
}

/// Object name of a component's native code for one engine: the digest and the engine's
/// fingerprint (wasmtime version and every setting that changes generated code).
pub fn precompiled_object(digest: &str, engine_fingerprint: &str) -> String {
    format!("{digest}/{engine_fingerprint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_subjects_name_job_and_kind() {
        assert_eq!(event_subject("0193-abc", EventKind::Done), "edge.events.0193-abc.done");
        assert_eq!(all_jobs_event_subject(EventKind::Stdout), "edge.events.*.stdout");
        assert_eq!(precompiled_object("sha256:ab", "f00"), "sha256:ab/f00");
        assert_eq!(job_events_filter("j1"), "edge.events.j1.>");
        assert_eq!(parse_cancel_subject(&cancel_subject("j1")), Some("j1"));
        assert_eq!(parse_cancel_subject("edge.jobs.cancel.a.b"), None);
        assert_eq!(parse_cancel_subject("edge.jobs.submit"), None);
        assert_eq!(parse_job_subject(&job_subject("j1")), Some("j1"));
        assert_eq!(parse_job_subject("edge.jobs.submit.a.b"), None);
        assert_eq!(parse_job_subject("edge.jobs.cancel.j1"), None);
    }

    #[test]
    fn event_subjects_parse_back() {
        for kind in EventKind::ALL {
            assert_eq!(parse_event_subject(&event_subject("0193-abc", kind)), Some(("0193-abc", kind)));
        }
        assert_eq!(parse_event_subject("edge.events.id.bogus"), None);
        assert_eq!(parse_event_subject("edge.jobs.submit"), None);
        assert_eq!(parse_event_subject("edge.events..done"), None);
        assert_eq!(parse_event_subject("edge.events.a.b.done"), None);
    }
}
