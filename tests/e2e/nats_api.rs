//! The NATS-native API, driven by a client this project did not write (nats-py).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Options, Platform};

#[tokio::test]
async fn a_foreign_nats_client_submits_follows_and_reads_a_job() {
    // `hello` ends long before its executor would announce it.
    let platform = Platform::start_with(Options::announcing_after("1h")).await;
    platform.upload("hello", "hello").await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    let script = root.join("tests/e2e/nats_client.py");
    let url = platform.nats.url.clone();
    let output =
        tokio::task::spawn_blocking(move || Command::new(python).arg(script).args([url.as_str(), "hello"]).output())
            .await
            .expect("join")
            .expect("run nats_client.py (just setup installs nats-py)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(seen["service"], "edge");
    assert_eq!(
        seen["endpoints"],
        json!(["edge.api.components.list", "edge.api.jobs.cancel", "edge.api.jobs.get", "edge.api.jobs.submit"])
    );
    // Not announced: `done` is the job's only event and carries the output.
    assert_eq!(seen["kinds"], json!(["done"]));
    assert_eq!(seen["done_stdout"], "Hello, from nats!\n");
    assert_eq!(seen["record_status"], "succeeded");
    assert_eq!(seen["record_stdout"], "Hello, from nats!\n");
    assert_eq!(seen["fetched_status"], "succeeded");
    assert_eq!(seen["missing_code"], "404");
    assert_eq!(seen["components"], json!(["hello"]));
}
