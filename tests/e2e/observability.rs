//! `/healthz` and `/metrics`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, Platform};

#[tokio::test]
async fn health_and_metrics_report_jobs_and_queue() {
    let platform = Platform::start().await;
    let health = platform.http.get(platform.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    let body: Value = health.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["jetstream"], true);

    platform.upload("exit-code", "exit-code").await;
    platform.run(json!({"component": "exit-code", "args": ["0"]})).await;
    platform.run(json!({"component": "exit-code", "args": ["0"]})).await;
    platform.run(json!({"component": "exit-code", "args": ["2"]})).await;

    let metrics = platform.http.get(platform.url("/metrics")).send().await.expect("metrics");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    let value =
        |name: &str| -> Option<f64> { text.lines().find_map(|line| line.strip_prefix(name)?.trim().parse().ok()) };
    assert_eq!(value("edge_jobs_submitted_total"), Some(3.0), "{text}");
    assert_eq!(value("edge_jobs_completed_total{status=\"succeeded\"}"), Some(2.0), "{text}");
    assert_eq!(value("edge_jobs_completed_total{status=\"failed\"}"), Some(1.0), "{text}");
    assert_eq!(value("edge_job_run_seconds_count"), Some(3.0), "{text}");
    assert_eq!(value("edge_job_queue_seconds_count"), Some(3.0), "{text}");
    assert_eq!(value("edge_jobs_queue_depth"), Some(0.0), "{text}");
}

#[tokio::test]
async fn queue_depth_counts_waiting_jobs() {
    let platform = Platform::start_with(Options { executors: 0, ..Options::default() }).await;
    platform.upload("hello", "hello").await;
    for _ in 0..3 {
        let (status, _) = platform.submit(&json!({"component": "hello"}), "").await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let text = platform.http.get(platform.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(text.lines().any(|l| l == "edge_jobs_queue_depth 3"), "{text}");
}

#[tokio::test]
async fn health_is_503_when_nats_is_gone() {
    let mut platform = Platform::start_with(Options { executors: 0, ..Options::default() }).await;
    platform.nats.process.kill();
    let mut last = StatusCode::OK;
    for _ in 0..100 {
        last = platform.http.get(platform.url("/healthz")).send().await.expect("healthz").status();
        if last == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last, StatusCode::SERVICE_UNAVAILABLE);
}
