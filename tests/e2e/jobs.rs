//! Running jobs: exact output and exit codes, waiting, listing, and refused requests.

use edge_wire::{JobList, JobRecord, JobStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Platform, error_code};

#[tokio::test]
async fn hello_runs_with_exact_output_and_usage() {
    let platform = Platform::start().await;
    let component = platform.upload("hello", "hello").await;
    let record = platform.run(json!({"component": "hello", "args": ["Ada", "Grace"]})).await;
    assert_eq!(record.status, JobStatus::Succeeded);
    assert_eq!(record.exit_code, Some(0));
    assert_eq!(record.stdout.text.as_deref(), Some("Hello, Ada Grace!\n"));
    assert_eq!(record.stderr.text.as_deref(), Some(""));
    assert!(!record.stdout.truncated);
    assert_eq!(record.error, None);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.executor.as_deref(), Some("executor-1"));
    assert_eq!(record.digest, component.digest);
    assert_eq!(record.args, ["Ada", "Grace"]);
    assert_eq!(record.usage.output_bytes, 18);
    assert!(record.usage.peak_memory_bytes > 0);
    assert_eq!(record.usage.fuel_used, None, "no fuel asked, none reported");
    assert!(record.started_at.is_some() && record.finished_at.is_some());
}

#[tokio::test]
async fn stdin_env_exit_codes_and_binary_output() {
    let platform = Platform::start().await;
    for name in ["echo", "exit-code", "print-env"] {
        platform.upload(name, name).await;
    }
    let text = platform.run(json!({"component": "echo", "stdin": "line one\nline two\n"})).await;
    assert_eq!(text.stdout.text.as_deref(), Some("line one\nline two\n"));

    // Binary in, binary out: not UTF-8, so it comes back as base64.
    let binary = platform.run(json!({"component": "echo", "stdin_base64": "/wCAAQ=="})).await;
    assert_eq!(binary.stdout.text, None);
    assert_eq!(binary.stdout.base64.as_deref(), Some("/wCAAQ=="));

    let exit = platform.run(json!({"component": "exit-code", "args": ["7"]})).await;
    assert_eq!(exit.status, JobStatus::Failed);
    assert_eq!(exit.exit_code, Some(7));
    assert_eq!(exit.stdout.text.as_deref(), Some("exiting with 7\n"));
    assert_eq!(exit.stderr.text.as_deref(), Some("this goes to stderr\n"));
    assert_eq!(exit.error, None, "an exit code is not an error");

    let zero = platform.run(json!({"component": "exit-code", "args": ["0"]})).await;
    assert_eq!((zero.status, zero.exit_code), (JobStatus::Succeeded, Some(0)));

    let env = platform.run(json!({"component": "print-env", "env": {"GREETING": "hi", "EMPTY": ""}})).await;
    assert_eq!(env.stdout.text.as_deref(), Some("EMPTY=\nGREETING=hi\n"));
}

#[tokio::test]
async fn wait_returns_the_final_record_or_202_in_time() {
    let platform = Platform::start().await;
    platform.upload("hello", "hello").await;
    platform.upload("sleep-print", "sleep-print").await;

    let (status, body) = platform.submit(&json!({"component": "hello", "args": ["wait"]}), "?wait=30s").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record: JobRecord = serde_json::from_value(body).expect("record");
    assert_eq!(record.status, JobStatus::Succeeded);
    assert_eq!(record.stdout.text.as_deref(), Some("Hello, wait!\n"));

    let (status, body) =
        platform.submit(&json!({"component": "sleep-print", "args": ["3", "300"]}), "?wait=100ms").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["id"].as_str().expect("id");
    assert_eq!(body["links"]["self"], format!("/v1/jobs/{id}"));
    assert!(matches!(body["status"].as_str(), Some("queued" | "running")), "{body}");
    let record = platform.wait_final(id).await;
    assert_eq!(record.stdout.text.as_deref(), Some("line 1\nline 2\nline 3\n"));
    assert!(record.usage.wall_ms >= 900, "{:?}", record.usage);
}

#[tokio::test]
async fn running_is_visible_while_the_job_runs_and_jobs_list_newest_first() {
    let platform = Platform::start().await;
    platform.upload("sleep-print", "sleep-print").await;
    let (_, body) = platform.submit(&json!({"component": "sleep-print", "args": ["10", "100"]}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    let running = platform.wait_running(&id).await;
    assert_eq!(running.attempts, 1);
    assert!(running.executor.is_some());
    let first = platform.wait_final(&id).await;
    let second = platform.run(json!({"component": "sleep-print", "args": ["1", "1"]})).await;

    let list: JobList =
        platform.http.get(platform.url("/v1/jobs")).send().await.expect("list").json().await.expect("json");
    let ids: Vec<&str> = list.jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, [second.id.as_str(), first.id.as_str()]);
    let limited: JobList =
        platform.http.get(platform.url("/v1/jobs?limit=1")).send().await.expect("list").json().await.expect("json");
    assert_eq!(limited.jobs.len(), 1);
    let failed: JobList = platform
        .http
        .get(platform.url("/v1/jobs?status=failed"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(failed.jobs.is_empty());
}

#[tokio::test]
async fn bad_job_requests_get_status_and_code() {
    let platform = Platform::start().await;
    platform.upload("hello", "hello").await;
    let cases: Vec<(Value, &str, StatusCode, &str)> = vec![
        (json!({"component": "nope"}), "", StatusCode::NOT_FOUND, "component_not_found"),
        (json!({"component": format!("sha256:{}", "0".repeat(64))}), "", StatusCode::NOT_FOUND, "component_not_found"),
        (json!({"component": "bad name"}), "", StatusCode::BAD_REQUEST, "invalid_name"),
        (json!({"args": []}), "", StatusCode::BAD_REQUEST, "invalid_json"),
        (json!({"component": "hello", "surprise": 1}), "", StatusCode::BAD_REQUEST, "invalid_json"),
        (json!({"component": "hello", "args": "not a list"}), "", StatusCode::BAD_REQUEST, "invalid_json"),
        // Structs are objects: serde alone would read these as {component} and {timeout_ms}.
        (json!(["hello", ["Ada"]]), "", StatusCode::BAD_REQUEST, "invalid_json"),
        (json!({"component": "hello", "limits": [500]}), "", StatusCode::BAD_REQUEST, "invalid_json"),
        (json!({"component": "hello", "limits": {"timeout_ms": 0}}), "", StatusCode::BAD_REQUEST, "invalid_limits"),
        (
            json!({"component": "hello", "limits": {"timeout_ms": 86_400_000}}),
            "",
            StatusCode::BAD_REQUEST,
            "invalid_limits",
        ),
        (
            json!({"component": "hello", "limits": {"memory_mb": 100_000}}),
            "",
            StatusCode::BAD_REQUEST,
            "invalid_limits",
        ),
        (json!({"component": "hello", "limits": {"fuel": 0}}), "", StatusCode::BAD_REQUEST, "invalid_limits"),
        (
            json!({"component": "hello", "limits": {"max_output_bytes": 1_000_000_000}}),
            "",
            StatusCode::BAD_REQUEST,
            "invalid_limits",
        ),
        (json!({"component": "hello", "limits": {"timeout_ms": -1}}), "", StatusCode::BAD_REQUEST, "invalid_json"),
        (
            json!({"component": "hello", "stdin": "a", "stdin_base64": "YQ=="}),
            "",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (json!({"component": "hello", "stdin_base64": "not base64!"}), "", StatusCode::BAD_REQUEST, "invalid_request"),
        (json!({"component": "hello", "env": {"A=B": "x"}}), "", StatusCode::BAD_REQUEST, "invalid_request"),
        (json!({"component": "hello"}), "?wait=banana", StatusCode::BAD_REQUEST, "invalid_query"),
        (json!({"component": "hello"}), "?wait=1h", StatusCode::BAD_REQUEST, "invalid_query"),
    ];
    for (job, query, status, code) in cases {
        let (got, body) = platform.submit(&job, query).await;
        assert_eq!((got, error_code(&body)), (status, code), "{job} {query}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    let raw = platform.http.post(platform.url("/v1/jobs")).body("{\"component\":").send().await.expect("post");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let body: Value = raw.json().await.expect("json");
    assert_eq!(error_code(&body), "invalid_json");

    let huge = platform.http.post(platform.url("/v1/jobs")).body(vec![b' '; 5 << 20]).send().await.expect("post");
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

    for (path, status, code) in [
        ("/v1/jobs/not-an-id", StatusCode::BAD_REQUEST, "invalid_job_id"),
        ("/v1/jobs/01a20c30-c8c8-7451-a244-c5104d821680", StatusCode::NOT_FOUND, "job_not_found"),
        ("/v1/jobs?limit=0", StatusCode::BAD_REQUEST, "invalid_query"),
        ("/v1/jobs?status=exploded", StatusCode::BAD_REQUEST, "invalid_query"),
        ("/v1/nothing", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let response = platform.http.get(platform.url(path)).send().await.expect("get");
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_code(&body), code, "{path}");
    }

    // Nothing refused became a job.
    let list: JobList =
        platform.http.get(platform.url("/v1/jobs")).send().await.expect("list").json().await.expect("json");
    assert!(list.jobs.is_empty(), "{:?}", list.jobs);
}
