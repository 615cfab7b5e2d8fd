//! Crashes and sharing: an executor killed mid-job, two executors on one queue, precompiled
//! code shared between executors, and NATS missing at start-up.

use std::collections::BTreeSet;
use std::time::Duration;

use edge_wire::JobStatus;
use futures::TryStreamExt as _;
use serde_json::json;

use crate::support::{Nats, Options, Platform, Process};

/// How many `done` events JetStream holds for a job.
async fn done_events(platform: &Platform, id: &str) -> usize {
    let js = async_nats::jetstream::new(platform.nats_client().await);
    let stream = js.get_stream("EDGE_EVENTS").await.expect("events stream");
    let mut subjects = stream.info_with_subjects(format!("edge.events.{id}.done")).await.expect("subjects");
    let mut count = 0;
    while let Some((_, n)) = subjects.try_next().await.expect("subject counts") {
        count += n;
    }
    count
}

#[tokio::test]
async fn a_job_survives_kill_9_of_its_executor() {
    let mut platform =
        Platform::start_with(Options { executors: 2, concurrency: 1, ack_wait: "2s", ..Options::default() }).await;
    platform.upload("sleep-print", "sleep-print").await;
    let (_, body) = platform.submit(&json!({"component": "sleep-print", "args": ["10", "150"]}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();

    // Wait until it runs and has printed a little, then kill its executor.
    let victim = platform.wait_running(&id).await.executor.expect("an executor runs it");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let index = if victim == "executor-1" { 0 } else { 1 };
    platform.executors[index].kill();

    let record = platform.wait_final(&id).await;
    assert_eq!(record.status, JobStatus::Succeeded, "{record:?}");
    assert_eq!(record.attempts, 2);
    assert_ne!(record.executor.as_deref(), Some(victim.as_str()));
    let expected: String = (1..=10).map(|i| format!("line {i}\n")).collect();
    assert_eq!(record.stdout.text.as_deref(), Some(expected.as_str()));
    assert_eq!(done_events(&platform, &id).await, 1, "exactly one final record");
}

#[tokio::test]
async fn two_executors_share_the_queue() {
    let platform = Platform::start_with(Options { executors: 2, concurrency: 1, ..Options::default() }).await;
    platform.upload("sleep-print", "sleep-print").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let (_, body) = platform.submit(&json!({"component": "sleep-print", "args": ["1", "300"]}), "").await;
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    let mut executors = BTreeSet::new();
    for id in &ids {
        let record = platform.wait_final(id).await;
        assert_eq!(record.status, JobStatus::Succeeded);
        assert_eq!(record.attempts, 1);
        executors.insert(record.executor.expect("executor"));
        assert_eq!(done_events(&platform, id).await, 1);
    }
    assert_eq!(executors, BTreeSet::from(["executor-1".to_string(), "executor-2".to_string()]));
}

#[tokio::test]
async fn a_second_executor_loads_shared_code_instead_of_compiling() {
    let mut platform = Platform::start().await;
    platform.upload("hello", "hello").await;
    platform.run(json!({"component": "hello"})).await;
    let sources = |p: &Process| -> Vec<String> {
        p.log_events("component loaded").iter().filter_map(|e| e["source"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(sources(&platform.executors[0]), ["compiled"]);
    platform.executors[0].kill();

    let second = platform.add_executor();
    let record = platform.run(json!({"component": "hello", "args": ["again"]})).await;
    assert_eq!(record.executor.as_deref(), Some("executor-2"));
    platform.run(json!({"component": "hello"})).await;
    // Loads from memory are not logged: one line, for the shared code, with its time.
    assert_eq!(sources(&platform.executors[second]), ["shared"]);
    let load = &platform.executors[second].log_events("component loaded")[0];
    assert!(load["load_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{load}");
}

#[tokio::test]
async fn nodes_refuse_to_start_without_nats_or_jetstream() {
    let dir = tempfile::tempdir().expect("dir");
    // Nothing listens on port 1.
    for role in ["serve", "executor"] {
        let args = [role.to_string(), "--nats-url".into(), "nats://127.0.0.1:1".into()];
        let mut node = Process::spawn_edge(role, &args, &[], dir.path());
        assert_eq!(node.wait_exit(), Some(1));
        assert!(node.log().contains("cannot reach NATS at nats://127.0.0.1:1"), "{}", node.log());
    }
    let plain = Nats::start(dir.path(), false);
    for role in ["serve", "executor"] {
        let args = [role.to_string(), "--nats-url".into(), plain.url.clone(), "--listen".into(), "127.0.0.1:0".into()];
        let args = if role == "executor" { args[..3].to_vec() } else { args.to_vec() };
        let mut node = Process::spawn_edge(&format!("{role}-nojs"), &args, &[], dir.path());
        assert_eq!(node.wait_exit(), Some(1));
        assert!(node.log().contains("has no JetStream"), "{}", node.log());
    }
}

#[tokio::test]
async fn a_job_longer_than_ack_wait_is_not_redelivered() {
    let platform =
        Platform::start_with(Options { executors: 2, concurrency: 1, ack_wait: "1s", ..Options::default() }).await;
    platform.upload("sleep-print", "sleep-print").await;
    // 3 s of work against a 1 s AckWait: only in-progress acks keep it from a second executor.
    let record = platform.run(json!({"component": "sleep-print", "args": ["6", "500"]})).await;
    assert_eq!(record.status, JobStatus::Succeeded);
    assert_eq!(record.attempts, 1, "{record:?}");
    assert_eq!(done_events(&platform, &record.id).await, 1);
    for executor in &platform.executors {
        assert!(executor.log_events("job started").len() <= 1, "started twice:\n{}", executor.log());
    }
}

/// Polls until the job runs its `attempt`-th attempt.
async fn wait_attempt(platform: &Platform, id: &str, attempt: u32) {
    let started = std::time::Instant::now();
    loop {
        let record = platform.job(id).await;
        if record.status == JobStatus::Running && record.attempts == attempt {
            return;
        }
        assert!(!record.status.is_final(), "job ended early: {record:?}");
        assert!(started.elapsed() < Duration::from_secs(30), "attempt {attempt} never started: {record:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_job_that_keeps_crashing_its_executor_fails_after_max_deliver_and_can_be_retried() {
    let mut platform =
        Platform::start_with(Options { executors: 1, concurrency: 1, ack_wait: "1s", ..Options::default() }).await;
    platform.upload("sleep-print", "sleep-print").await;
    let (_, body) = platform.submit(&json!({"component": "sleep-print", "args": ["4", "250"]}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();

    // Every attempt takes its executor down with it (kill -9), as a job that crashes the
    // process would; MaxDeliver of the executors consumer is 5.
    for attempt in 1..=5 {
        wait_attempt(&platform, &id, attempt).await;
        platform.executors.last_mut().expect("executor").kill();
        platform.add_executor();
    }
    let record = platform.wait_final(&id).await;
    assert_eq!(record.status, JobStatus::Failed, "{record:?}");
    assert_eq!(record.attempts, 5);
    let error = record.error.expect("error");
    assert_eq!(error.code, "max_deliveries");
    assert!(error.message.contains("5 deliveries"), "{}", error.message);
    assert_eq!(done_events(&platform, &id).await, 1);

    // The failed-jobs view lists it.
    let failed: edge_wire::JobList = platform
        .http
        .get(platform.url("/v1/jobs?status=failed"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(failed.jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);

    // Requeued once, as a new job that names the old one, and it runs to the end this time.
    let retry = platform.http.post(platform.url(&format!("/v1/jobs/{id}/retry"))).send().await.expect("retry");
    assert_eq!(retry.status(), reqwest::StatusCode::ACCEPTED);
    let accepted: serde_json::Value = retry.json().await.expect("json");
    let new_id = accepted["id"].as_str().expect("new id");
    assert_ne!(new_id, id);
    let retried = platform.wait_final(new_id).await;
    assert_eq!(retried.status, JobStatus::Succeeded, "{retried:?}");
    assert_eq!(retried.retry_of.as_deref(), Some(id.as_str()));
    assert_eq!(retried.args, ["4", "250"]);
    assert_eq!(retried.stdout.text.as_deref(), Some("line 1\nline 2\nline 3\nline 4\n"));

    let again = platform.http.post(platform.url(&format!("/v1/jobs/{id}/retry"))).send().await.expect("retry");
    assert_eq!(again.status(), reqwest::StatusCode::CONFLICT);
    let body: serde_json::Value = again.json().await.expect("json");
    assert_eq!(crate::support::error_code(&body), "not_retryable");
    let succeeded = platform.http.post(platform.url(&format!("/v1/jobs/{new_id}/retry"))).send().await.expect("retry");
    assert_eq!(succeeded.status(), reqwest::StatusCode::CONFLICT);
    let unknown = "01a20c30-c8c8-7451-a244-c5104d821680";
    let missing = platform.http.post(platform.url(&format!("/v1/jobs/{unknown}/retry"))).send().await.expect("retry");
    assert_eq!(missing.status(), reqwest::StatusCode::NOT_FOUND);
}
