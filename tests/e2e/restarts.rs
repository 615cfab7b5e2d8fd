//! Restarts under load: nats-server killed and started again on its store, the host killed
//! and started again, an executor killed and restarted every ~2 s through 2,000 jobs.

use std::collections::BTreeMap;
use std::time::Duration;

use edge_wire::{JobStatus, WebhookState};
use futures::TryStreamExt as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Options, Platform, error_code};
use crate::webhooks::{Receiver, wait_webhook};

/// How many `done` events JetStream holds per job, for every job with one.
async fn done_counts(platform: &Platform) -> BTreeMap<String, usize> {
    let js = async_nats::jetstream::new(platform.nats_client().await);
    let stream = js.get_stream("EDGE_EVENTS").await.expect("events stream");
    let mut subjects = stream.info_with_subjects("edge.events.*.done").await.expect("subjects");
    let mut counts = BTreeMap::new();
    while let Some((subject, n)) = subjects.try_next().await.expect("subject counts") {
        let id = subject.split('.').nth(2).expect("job id").to_owned();
        counts.insert(id, n);
    }
    counts
}

/// Submits `hello <tag>`; panics unless it is accepted.
async fn submit_hello(platform: &Platform, tag: &str) -> String {
    let (status, body) = platform.submit(&json!({"component": "hello", "args": [tag]}), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn every_job_accepted_around_a_nats_restart_completes_and_requests_meanwhile_get_503() {
    let mut platform = Platform::start_with(Options { concurrency: 4, ack_wait: "3s", ..Options::default() }).await;
    platform.upload("hello", "hello").await;
    let mut jobs = Vec::new();
    for i in 0..30 {
        let tag = format!("before-{i}");
        jobs.push((submit_hello(&platform, &tag).await, tag));
    }

    platform.nats.kill();
    // Once the host has noticed (its health says so), every request that needs NATS fails at
    // once and says why; none waits for a timeout.
    let noticed = std::time::Instant::now();
    while platform.http.get(platform.url("/healthz")).send().await.expect("healthz").status() == StatusCode::OK {
        assert!(noticed.elapsed() < Duration::from_secs(10), "the host never noticed NATS was gone");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..5 {
        let answer = tokio::time::timeout(Duration::from_secs(1), async {
            let (status, body) = platform.submit(&json!({"component": "hello"}), "").await;
            (status, error_code(&body).to_owned())
        });
        let (status, code) = answer.await.expect("a request while NATS is down hung");
        assert_eq!((status, code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
    }
    platform.nats.restart(platform.dir.path());
    // Host and executor reconnect by themselves.
    let started = std::time::Instant::now();
    while platform.http.get(platform.url("/healthz")).send().await.expect("healthz").status() != StatusCode::OK {
        assert!(started.elapsed() < Duration::from_secs(20), "the host did not reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for i in 0..30 {
        let tag = format!("after-{i}");
        jobs.push((submit_hello(&platform, &tag).await, tag));
    }
    for (id, tag) in &jobs {
        let record = platform.wait_final(id).await;
        assert_eq!(record.status, JobStatus::Succeeded, "{record:?}");
        assert_eq!(record.stdout.text.as_deref(), Some(format!("Hello, {tag}!\n").as_str()));
    }
    let done = done_counts(&platform).await;
    for (id, _) in &jobs {
        assert_eq!(done.get(id), Some(&1), "done events of {id}");
    }
}

#[tokio::test]
async fn sse_clients_resume_across_a_host_restart_and_the_webhook_still_arrives() {
    let mut platform = Platform::start().await;
    platform.upload("sleep-print", "sleep-print").await;
    let (receiver, url) = Receiver::start(vec![StatusCode::OK]).await;
    let job =
        json!({"component": "sleep-print", "args": ["12", "150"], "webhook": {"url": url, "secret": "s3cret-s3cret"}});
    let (status, body) = platform.submit(&job, "").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = body["id"].as_str().expect("id").to_owned();

    // Follow until the second line, then lose the host.
    let mut events = platform.events(&id, None).await;
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &crate::support::SseEvent| e.data.contains("line 2")) {
        seen.push(events.next().await.expect("event before the restart"));
    }
    drop(events);
    platform.restart_host();

    // Reconnect as a browser would, from the last id seen.
    let last = seen.last().and_then(|e| e.id.clone()).expect("events carry ids");
    let rest = platform.events(&id, Some(&last)).await.all().await;
    seen.extend(rest);
    let full = platform.events(&id, None).await.all().await;
    assert_eq!(seen, full, "resumed stream differs from the full history");
    assert_eq!(full.last().map(|e| e.event.as_str()), Some("done"));
    let output: String = full.iter().filter(|e| e.event == "stdout").map(|e| e.data.clone()).collect();
    for i in 1..=12 {
        assert!(output.contains(&format!("line {i}")), "line {i} missing from {output}");
    }

    let record = wait_webhook(&platform, &id, WebhookState::Delivered).await;
    assert_eq!(record.status, JobStatus::Succeeded);
    assert_eq!(receiver.received().len(), 1);
}

/// Every ~2 s: kill -9 the first executor and start a new one in its place (the second
/// keeps going). Returns whether it did.
fn kill_first_executor_every_2s(platform: &mut Platform, last_kill: &mut std::time::Instant) -> bool {
    if last_kill.elapsed() < Duration::from_secs(2) {
        return false;
    }
    platform.executors[0].kill();
    let n = platform.add_executor();
    platform.executors[0] = platform.executors.remove(n);
    *last_kill = std::time::Instant::now();
    true
}

/// Soak job `i`: a quick greeting, or a few lines 20 ms apart, so kills find jobs running.
fn job_for(i: usize) -> serde_json::Value {
    if i.is_multiple_of(2) {
        json!({"component": "hello", "args": [format!("soak-{i}")]})
    } else {
        json!({"component": "sleep-print", "args": [(1 + i % 3).to_string(), "20"]})
    }
}

fn output_of(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("Hello, soak-{i}!\n")
    } else {
        (1..=1 + i % 3).map(|n| format!("line {n}\n")).collect()
    }
}

#[tokio::test]
async fn two_thousand_jobs_through_an_executor_killed_every_two_seconds() {
    let mut platform =
        Platform::start_with(Options { executors: 2, concurrency: 8, ack_wait: "2s", ..Options::default() }).await;
    platform.upload("hello", "hello").await;
    platform.upload("sleep-print", "sleep-print").await;
    let client = platform.nats_client().await;
    let mut ids = Vec::with_capacity(2000);
    let started = std::time::Instant::now();
    let mut last_kill = std::time::Instant::now();
    let mut kills = 0;
    for i in 0..2000 {
        let request = job_for(i).to_string();
        let reply = client.request("edge.api.jobs.submit", request.into()).await.expect("submit");
        let body: serde_json::Value = serde_json::from_slice(&reply.payload).expect("json");
        ids.push((body["id"].as_str().expect("id").to_owned(), i));
        kills += usize::from(kill_first_executor_every_2s(&mut platform, &mut last_kill));
    }
    // Keep killing while the queue drains.
    let mut remaining: Vec<(String, usize)> = ids.clone();
    let mut retried = 0;
    while !remaining.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(120), "{} jobs never finished", remaining.len());
        kills += usize::from(kill_first_executor_every_2s(&mut platform, &mut last_kill));
        let mut still = Vec::new();
        for (id, i) in remaining {
            let record = platform.job(&id).await;
            if record.status.is_final() {
                retried += usize::from(record.attempts > 1);
                assert_eq!(record.status, JobStatus::Succeeded, "{record:?}");
                assert_eq!(record.stdout.text, Some(output_of(i)), "{record:?}");
            } else {
                still.push((id, i));
            }
        }
        remaining = still;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The kills must have hit running jobs, or this test proves nothing.
    eprintln!("{retried} of 2000 jobs needed a second attempt; {kills} kills");
    assert!(retried > 0, "no job was interrupted by the {kills} kills");
    let done = done_counts(&platform).await;
    let wrong: Vec<_> = ids.iter().filter(|(id, _)| done.get(id) != Some(&1)).collect();
    assert!(wrong.is_empty(), "{} jobs without exactly one done event, e.g. {:?}", wrong.len(), wrong.first());
}
