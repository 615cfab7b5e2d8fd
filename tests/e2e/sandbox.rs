//! Hostile guests: each one is stopped with the right status and usage, and the executor
//! runs a normal job right after it.

use std::io::Read as _;
use std::net::TcpListener;
use std::time::Duration;

use edge_wire::{JobRecord, JobStatus};
use serde_json::{Value, json};

use crate::support::{Options, Platform};

async fn hostile_then_hello(platform: &Platform, job: Value) -> JobRecord {
    let record = platform.run(job).await;
    let after = platform.run(json!({"component": "hello", "args": ["still", "here"]})).await;
    assert_eq!(after.status, JobStatus::Succeeded, "a normal job after {record:?}");
    assert_eq!(after.stdout.text.as_deref(), Some("Hello, still here!\n"));
    record
}

async fn platform_with(guests: &[&str]) -> Platform {
    let platform = Platform::start_with(Options {
        // One slot: the normal job runs in the very executor the hostile one hit.
        concurrency: 1,
        executor_env: vec![("EDGE_TEST_SECRET".into(), "must-not-leak".into())],
        ..Options::default()
    })
    .await;
    platform.upload("hello", "hello").await;
    for guest in guests {
        platform.upload(guest, guest).await;
    }
    platform
}

#[tokio::test]
async fn cpu_memory_stack_and_fuel_are_capped() {
    let platform = platform_with(&["endless-loop", "memory-bomb", "stack-overflow"]).await;

    let looped =
        hostile_then_hello(&platform, json!({"component": "endless-loop", "limits": {"timeout_ms": 300}})).await;
    assert_eq!(looped.status, JobStatus::TimedOut);
    assert_eq!(looped.error.as_ref().map(|e| e.code.as_str()), Some("timeout"));
    assert!((300..5_000).contains(&looped.usage.wall_ms), "{:?}", looped.usage);

    let fueled =
        hostile_then_hello(&platform, json!({"component": "endless-loop", "limits": {"fuel": 5_000_000}})).await;
    assert_eq!(fueled.status, JobStatus::Failed);
    assert_eq!(fueled.error.as_ref().map(|e| e.code.as_str()), Some("fuel_exhausted"));
    assert_eq!(fueled.usage.fuel_used, Some(5_000_000));

    let bomb = hostile_then_hello(&platform, json!({"component": "memory-bomb", "limits": {"memory_mb": 32}})).await;
    assert_eq!(bomb.status, JobStatus::MemoryExceeded);
    assert_eq!(bomb.error.as_ref().map(|e| e.code.as_str()), Some("memory_limit"));
    let cap = 32 << 20;
    assert!(bomb.usage.peak_memory_bytes <= cap && bomb.usage.peak_memory_bytes > cap / 2, "{:?}", bomb.usage);

    let deep = hostile_then_hello(&platform, json!({"component": "stack-overflow"})).await;
    assert_eq!(deep.status, JobStatus::Failed);
    assert_eq!(deep.error.as_ref().map(|e| e.code.as_str()), Some("stack_overflow"), "{deep:?}");
    assert_eq!(deep.exit_code, None);
}

#[tokio::test]
async fn output_is_capped_and_flagged() {
    let platform = platform_with(&["output-flood"]).await;
    let flood =
        hostile_then_hello(&platform, json!({"component": "output-flood", "limits": {"max_output_bytes": 100_000}}))
            .await;
    assert_eq!(flood.status, JobStatus::Failed);
    assert_eq!(flood.error.as_ref().map(|e| e.code.as_str()), Some("output_limit"));
    assert!(flood.stdout.truncated);
    let kept = flood.stdout.text.as_deref().expect("text");
    assert_eq!(kept.len(), 100_000);
    assert!(kept.bytes().all(|b| b == b'x' || b == b'\n'));
    assert!(flood.usage.output_bytes > 100_000, "{:?}", flood.usage);
}

#[tokio::test]
async fn no_files_no_sockets_no_host_env() {
    let platform = platform_with(&["read-passwd", "tcp-connect", "print-env"]).await;

    let passwd = hostile_then_hello(&platform, json!({"component": "read-passwd"})).await;
    assert_eq!((passwd.status, passwd.exit_code), (JobStatus::Failed, Some(3)));
    assert_eq!(passwd.stdout.text.as_deref(), Some(""));
    assert!(passwd.stderr.text.as_deref().is_some_and(|e| e.starts_with("cannot read /etc/passwd")), "{passwd:?}");

    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let net = hostile_then_hello(&platform, json!({"component": "tcp-connect", "args": [addr.to_string()]})).await;
    assert_eq!((net.status, net.exit_code), (JobStatus::Failed, Some(3)), "{net:?}");
    assert!(net.stderr.text.as_deref().is_some_and(|e| e.starts_with("cannot connect")), "{net:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    match listener.accept() {
        Ok((mut stream, _)) => {
            let mut got = String::new();
            let _ = stream.read_to_string(&mut got);
            panic!("the guest reached the host's network: {got:?}");
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
    }

    let env = hostile_then_hello(&platform, json!({"component": "print-env", "env": {"ONLY": "this"}})).await;
    assert_eq!(env.stdout.text.as_deref(), Some("ONLY=this\n"), "the executor's environment leaked");
}

/// A command whose core module asks for a table of 100 million elements.
const HUGE_TABLE: &str = r#"(component
    (core module $m
        (table 100000000 funcref)
        (func (export "run") (result i32) i32.const 0))
    (core instance $ci (instantiate $m))
    (func $run (result (result)) (canon lift (core func $ci "run")))
    (instance $run-inst (export "run" (func $run)))
    (export "wasi:cli/run@0.2.0" (instance $run-inst))
)"#;

async fn upload_wat(platform: &Platform, name: &str, wat: &str) {
    let bytes = wat::parse_str(wat).expect("wat");
    let url = platform.url(&format!("/v1/components?name={name}"));
    let response = platform.http.post(url).body(bytes).send().await.expect("upload");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
}

#[tokio::test]
async fn a_clock_spinner_times_out_and_a_huge_table_is_refused() {
    let platform = platform_with(&["clock-spin"]).await;
    let spun = hostile_then_hello(&platform, json!({"component": "clock-spin", "limits": {"timeout_ms": 300}})).await;
    assert_eq!(spun.status, JobStatus::TimedOut, "{spun:?}");
    assert!((300..5_000).contains(&spun.usage.wall_ms), "{:?}", spun.usage);

    upload_wat(&platform, "huge-table", HUGE_TABLE).await;
    let table = hostile_then_hello(&platform, json!({"component": "huge-table"})).await;
    assert_eq!(table.status, JobStatus::Failed, "{table:?}");
    let error = table.error.expect("error");
    assert!(error.message.contains("table"), "{}", error.message);
}

/// RSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("number")
}

#[tokio::test]
async fn an_executor_stays_bounded_through_a_thousand_hostile_jobs() {
    let platform = Platform::start_with(Options { concurrency: 4, ..Options::default() }).await;
    for guest in ["hello", "memory-bomb", "stack-overflow", "output-flood", "endless-loop", "clock-spin"] {
        platform.upload(guest, guest).await;
    }
    upload_wat(&platform, "huge-table", HUGE_TABLE).await;
    let hostile = [
        json!({"component": "memory-bomb", "limits": {"memory_mb": 16}}),
        json!({"component": "stack-overflow"}),
        json!({"component": "output-flood", "limits": {"max_output_bytes": 65536}}),
        json!({"component": "endless-loop", "limits": {"fuel": 200_000}}),
        json!({"component": "clock-spin", "limits": {"timeout_ms": 20}}),
        json!({"component": "huge-table"}),
    ];
    let pid = platform.executors[0].id();
    let mut rss_after_warmup = 0;
    for round in 0..10 {
        let mut ids = Vec::new();
        for i in 0..100 {
            let (status, body) = platform.submit(&hostile[(round * 100 + i) % hostile.len()], "").await;
            assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{body}");
            ids.push(body["id"].as_str().expect("id").to_owned());
        }
        for id in ids {
            let record = platform.wait_final(&id).await;
            assert_ne!(record.status, JobStatus::Succeeded, "a hostile job succeeded: {record:?}");
            assert!(record.error.is_some(), "{record:?}");
        }
        if round == 0 {
            rss_after_warmup = rss_kib(pid);
        }
    }
    let rss_after = rss_kib(pid);
    eprintln!("executor RSS after 100 hostile jobs: {rss_after_warmup} KiB; after 1,000: {rss_after} KiB");
    // Pool slots are reused, not grown: nine hundred more jobs may not add more than 64 MiB.
    assert!(rss_after < rss_after_warmup + 64 * 1024, "{rss_after_warmup} KiB -> {rss_after} KiB");
    let after = platform.run(json!({"component": "hello", "args": ["still", "here"]})).await;
    assert_eq!(after.status, JobStatus::Succeeded);
}

/// A component that says it is a command but imports something edge does not provide.
const MISSING_IMPORT: &str = r#"(component
    (import "edge:missing/thing" (instance (export "f" (func))))
    (core module $m (func (export "run") (result i32) i32.const 0))
    (core instance $ci (instantiate $m))
    (func $run (result (result)) (canon lift (core func $ci "run")))
    (instance $run-inst (export "run" (func $run)))
    (export "wasi:cli/run@0.2.0" (instance $run-inst))
)"#;

#[tokio::test]
async fn a_component_that_cannot_instantiate_fails_alone() {
    let platform = platform_with(&[]).await;
    let bytes = wat::parse_str(MISSING_IMPORT).expect("wat");
    let response =
        platform.http.post(platform.url("/v1/components?name=unlinkable")).body(bytes).send().await.expect("upload");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let info: Value = response.json().await.expect("json");
    assert_eq!(info["kind"], "command");

    let record = hostile_then_hello(&platform, json!({"component": "unlinkable"})).await;
    assert_eq!(record.status, JobStatus::Failed);
    let error = record.error.expect("error");
    assert_eq!(error.code, "component_unusable");
    assert!(error.message.contains("edge:missing/thing"), "{}", error.message);
}
