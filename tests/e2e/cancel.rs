//! `DELETE /v1/jobs/{id}`: queued jobs never run, running ones stop with their output so far.

use std::time::{Duration, Instant};

use edge_wire::{JobRecord, JobStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, Platform, error_code};

async fn delete(platform: &Platform, id: &str) -> (StatusCode, Value) {
    let response = platform.http.delete(platform.url(&format!("/v1/jobs/{id}"))).send().await.expect("delete");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_running_job_stops_at_once_and_keeps_its_output() {
    let platform = Platform::start_with(Options { concurrency: 1, ..Options::default() }).await;
    for name in ["endless-loop", "sleep-print", "hello"] {
        platform.upload(name, name).await;
    }

    // Computing: stopped at the next epoch tick.
    let (_, body) = platform.submit(&json!({"component": "endless-loop", "limits": {"timeout_ms": 60_000}}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    platform.wait_running(&id).await;
    let asked = Instant::now();
    let (status, body) = delete(&platform, &id).await;
    let took = asked.elapsed();
    assert_eq!(status, StatusCode::OK, "{body}");
    let record: JobRecord = serde_json::from_value(body).expect("record");
    assert_eq!(record.status, JobStatus::Cancelled);
    assert_eq!(record.error.as_ref().map(|e| e.code.as_str()), Some("cancelled"));
    assert!(took < Duration::from_secs(3), "cancel took {took:?}");

    // Sleeping in the host: dropped, with the lines printed so far.
    let (_, body) = platform.submit(&json!({"component": "sleep-print", "args": ["100", "100"]}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    // Cancel once its second line is out (read from its live events, not guessed by time).
    let mut events = platform.events(&id, None).await;
    let mut printed = String::new();
    while !printed.contains("line 2\n") {
        let event = events.next().await.expect("events until the second line");
        if event.event == "stdout" {
            let chunk: edge_wire::JobEvent = serde_json::from_str(&event.data).expect("event");
            if let edge_wire::JobEvent::Stdout(chunk) = chunk {
                printed.push_str(&chunk.data.to_text_lossy());
            }
        }
    }
    let (status, body) = delete(&platform, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record: JobRecord = serde_json::from_value(body).expect("record");
    assert_eq!(record.status, JobStatus::Cancelled);
    let out = record.stdout.text.expect("text");
    assert!(out.starts_with("line 1\nline 2\n") && !out.contains("line 100"), "{out:?}");

    // The executor's only slot is free again.
    let after = platform.run(json!({"component": "hello"})).await;
    assert_eq!(after.status, JobStatus::Succeeded);
    let (status, body) = delete(&platform, &after.id).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "already_final"));
}

#[tokio::test]
async fn a_queued_job_is_never_run() {
    let mut platform = Platform::start_with(Options { executors: 0, ..Options::default() }).await;
    platform.upload("hello", "hello").await;
    let (_, body) = platform.submit(&json!({"component": "hello"}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    // Queued, its record only in its message on the queue: readable and listed all the same.
    assert_eq!(platform.job(&id).await.status, JobStatus::Queued);
    let listed = platform.http.get(platform.url("/v1/jobs?status=queued")).send().await.expect("list");
    let listed: edge_wire::JobList = listed.json().await.expect("job list");
    assert_eq!(listed.jobs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);

    let (status, body) = delete(&platform, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    // Taken off the queue at once.
    let js = async_nats::jetstream::new(platform.nats_client().await);
    let mut queue = js.get_stream("EDGE_JOBS").await.expect("job queue");
    assert_eq!(queue.info().await.expect("info").state.messages, 0);

    // An executor arriving later takes the message off the queue without running it.
    let executor = platform.add_executor();
    let next = platform.run(json!({"component": "hello", "args": ["next"]})).await;
    assert_eq!(next.status, JobStatus::Succeeded);
    let record = platform.job(&id).await;
    assert_eq!((record.status, record.attempts, record.executor), (JobStatus::Cancelled, 0, None));
    let finished: Vec<Value> = platform.executors[executor].log_events("job finished");
    let ran: Vec<&str> = finished.iter().filter_map(|e| e["job"].as_str()).collect();
    assert_eq!(ran, [next.id.as_str()], "only the second job ran");

    let events = platform.events(&id, None).await.all().await;
    assert_eq!(events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["done"]);

    for (path, status, code) in [
        ("/v1/jobs/nope", StatusCode::BAD_REQUEST, "invalid_job_id"),
        ("/v1/jobs/01a20c30-c8c8-7451-a244-c5104d821680", StatusCode::NOT_FOUND, "job_not_found"),
    ] {
        let response = platform.http.delete(platform.url(path)).send().await.expect("delete");
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_code(&body), code);
    }
}

#[tokio::test]
async fn a_job_cancelled_before_it_is_announced_stops_and_ends_once() {
    // The executor never marks it running, so the host cancels it as a queued job while
    // the executor is already running it.
    let platform = Platform::start_with(Options { concurrency: 1, ..Options::announcing_after("1h") }).await;
    for name in ["endless-loop", "hello"] {
        platform.upload(name, name).await;
    }
    let (_, body) = platform.submit(&json!({"component": "endless-loop", "limits": {"timeout_ms": 60_000}}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    // Running, from the executor's own heartbeat, while the record still says queued.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = platform.http.get(platform.url("/v1/executors")).send().await.expect("executors");
        let list: edge_wire::ExecutorList = response.json().await.expect("executor list");
        if list.executors.iter().any(|e| e.running == 1) {
            break;
        }
        assert!(Instant::now() < deadline, "the executor never reported the job running: {list:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(platform.job(&id).await.status, JobStatus::Queued);

    let (status, body) = delete(&platform, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["error"]["message"].as_str()),
        (Some("cancelled"), Some("cancelled while queued"))
    );

    // The guest was stopped: the only slot runs the next job long before the loop's timeout.
    let next = platform.run(json!({"component": "hello"})).await;
    assert_eq!(next.status, JobStatus::Succeeded);
    let record = platform.job(&id).await;
    assert_eq!((record.status, record.attempts), (JobStatus::Cancelled, 0), "the host's record stands");
    let events = platform.events(&id, None).await.all().await;
    assert_eq!(events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["done"]);
    let finished: Vec<Value> = platform.executors[0].log_events("job finished");
    let ran: Vec<&str> = finished.iter().filter_map(|e| e["job"].as_str()).collect();
    assert_eq!(ran, [next.id.as_str()], "the cancelled job wrote no end of its own");
}
