//! Live delivery: output streamed over SSE while the job runs, and resuming after a
//! reconnect with `Last-Event-ID`.

use edge_wire::{JobEvent, JobStatus, Output};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, Platform, SseEvent, error_code};

fn parse(event: &SseEvent) -> JobEvent {
    serde_json::from_str(&event.data).unwrap_or_else(|e| panic!("event {event:?}: {e}"))
}

fn stdout_of(events: &[SseEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match parse(e) {
            JobEvent::Stdout(chunk) => Some(Output::to_text_lossy(&chunk.data)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn sse_streams_output_while_the_job_runs() {
    let platform = Platform::start().await;
    platform.upload("sleep-print", "sleep-print").await;
    let (_, body) = platform.submit(&json!({"component": "sleep-print", "args": ["10", "200"]}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(body["links"]["events"], format!("/v1/jobs/{id}/events"));

    let mut events = platform.events(&id, None).await;
    let mut seen = Vec::new();
    loop {
        let event = events.next().await.expect("stream ended before the first line");
        seen.push(event.clone());
        if event.event == "stdout" {
            assert_eq!(stdout_of(&seen), "line 1\n");
            break;
        }
    }
    // The first line is here while nine more are still to come (~1.8 s of work).
    let record = platform.job(&id).await;
    assert_eq!(record.status, JobStatus::Running, "the first line came only after the end");

    while let Some(event) = events.next().await {
        seen.push(event);
    }
    let expected: String = (1..=10).map(|i| format!("line {i}\n")).collect();
    assert_eq!(stdout_of(&seen), expected);
    let names: Vec<&str> = seen.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"status"));
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let ids: Vec<u64> = seen.iter().map(|e| e.id.as_deref().expect("id").parse().expect("numeric id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids must increase: {ids:?}");
    match parse(seen.last().expect("done")) {
        JobEvent::Done(record) => assert_eq!(record.status, JobStatus::Succeeded),
        other => panic!("last event {other:?}"),
    }
}

#[tokio::test]
async fn last_event_id_resumes_with_exactly_the_missed_events() {
    let platform = Platform::start().await;
    platform.upload("sleep-print", "sleep-print").await;
    let record = platform.run(json!({"component": "sleep-print", "args": ["5", "20"]})).await;

    // A finished job replays its whole history, then the stream closes.
    let all = platform.events(&record.id, None).await.all().await;
    assert!(all.len() >= 3, "{all:?}");
    assert_eq!(all.last().map(|e| e.event.as_str()), Some("done"));
    for cut in 0..all.len() {
        let last_seen = all[cut].id.as_deref();
        let rest = platform.events(&record.id, last_seen).await.all().await;
        assert_eq!(rest, all[cut + 1..], "resuming after event {cut}");
    }
}

#[tokio::test]
async fn sse_refuses_unknown_jobs_and_bad_ids() {
    let platform = Platform::start().await;
    let missing = platform
        .http
        .get(platform.url("/v1/jobs/01a20c30-c8c8-7451-a244-c5104d821680/events"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    platform.upload("hello", "hello").await;
    let record = platform.run(json!({"component": "hello"})).await;
    let bad = platform
        .http
        .get(platform.url(&format!("/v1/jobs/{}/events", record.id)))
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .expect("get");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(error_code(&body), "invalid_last_event_id");
}

/// Found by schemathesis: resuming a live job after an id past the end of the events
/// stream skipped the job's `done` and the stream never ended. Such an id was never sent.
#[tokio::test]
async fn sse_refuses_an_event_id_that_was_never_sent() {
    let platform = Platform::start().await;
    platform.upload("loop", "endless-loop").await;
    let (_, body) = platform.submit(&json!({"component": "loop", "limits": {"timeout_ms": 3000}}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    let started = std::time::Instant::now();
    let response = platform
        .http
        .get(platform.url(&format!("/v1/jobs/{id}/events")))
        .header("Last-Event-ID", "1000000000")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "invalid_last_event_id");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "answered only after the job ended");
}

#[tokio::test]
async fn a_job_world_component_reports_progress_in_order() {
    let platform = Platform::start().await;
    let info = platform.upload("primes", "progress-demo").await;
    assert_eq!(info.kind, edge_wire::ComponentKind::Job);

    let (_, body) = platform.submit(&json!({"component": "primes", "stdin": "100000"}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    let events = platform.events(&id, None).await.all().await;
    let progress: Vec<(u64, u8, String)> = events
        .iter()
        .filter_map(|e| match parse(e) {
            JobEvent::Progress { seq, percent, message, .. } => Some((seq, percent, message)),
            _ => None,
        })
        .collect();
    let percents: Vec<u8> = progress.iter().map(|p| p.1).collect();
    assert_eq!(percents, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    assert!(progress.iter().enumerate().all(|(i, p)| p.0 == i as u64));
    assert_eq!(progress.last().map(|p| p.2.as_str()), Some("9592 primes up to 100000"));

    let record = platform.job(&id).await;
    assert_eq!(record.status, JobStatus::Succeeded);
    assert_eq!(record.exit_code, Some(0));
    assert_eq!(record.stdout.text.as_deref(), Some("9592\n"));
    assert_eq!(record.stderr.text.as_deref(), Some("INFO counting primes up to 100000\n"));

    // The job's own error is the job's error.
    let bad = platform.run(json!({"component": "primes", "stdin": "lots"})).await;
    assert_eq!(bad.status, JobStatus::Failed);
    let error = bad.error.expect("error");
    assert_eq!((error.code.as_str(), error.message.as_str()), ("job_error", "\"lots\" is not a number"));
}

#[tokio::test]
async fn with_announce_after_zero_even_a_short_job_streams_its_output() {
    let platform = Platform::start_with(Options::announcing_after("0s")).await;
    platform.upload("hello", "hello").await;
    let record = platform.run(json!({"component": "hello", "args": ["stream"]})).await;
    let events = platform.events(&record.id, None).await.all().await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["status", "stdout", "done"]);
    assert_eq!(stdout_of(&events), "Hello, stream!\n");
    assert!(matches!(parse(&events[0]), JobEvent::Status { status: JobStatus::Running, attempt: 1, .. }));
}
