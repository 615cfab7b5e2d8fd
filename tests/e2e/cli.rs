//! The client verbs against a running platform, as a person would use them.

use std::process::Command;

use crate::support::{EDGE, Platform, Process, guest_dir, nats_server_binary};

fn edge(platform: &Platform, args: &[&str]) -> std::process::Output {
    Command::new(EDGE).args(args).env("EDGE_SERVER", &platform.base).output().expect("run edge")
}

#[tokio::test]
async fn upload_run_and_jobs_from_the_command_line() {
    let platform = Platform::start().await;
    let hello = guest_dir().join("hello.wasm");
    let upload = edge(&platform, &["upload", hello.to_str().expect("path")]);
    assert!(upload.status.success(), "{upload:?}");
    assert!(String::from_utf8_lossy(&upload.stdout).starts_with("hello v1 sha256:"), "{upload:?}");

    // Everything after the component goes to it, flags included.
    let run = edge(&platform, &["run", "hello", "Ada", "--not-a-flag"]);
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "Hello, Ada --not-a-flag!\n");

    let exit_code = guest_dir().join("exit-code.wasm");
    assert!(edge(&platform, &["upload", exit_code.to_str().expect("path"), "--name", "ec"]).status.success());
    let failing = edge(&platform, &["run", "ec", "5"]);
    assert_eq!(failing.status.code(), Some(5));
    assert_eq!(String::from_utf8_lossy(&failing.stdout), "exiting with 5\n");

    let jobs = edge(&platform, &["jobs"]);
    assert!(jobs.status.success());
    let listing = String::from_utf8_lossy(&jobs.stdout);
    assert_eq!(listing.lines().count(), 3, "{listing}");
    assert!(listing.lines().nth(1).is_some_and(|l| l.contains("failed") && l.contains("ec")), "{listing}");

    let missing = edge(&platform, &["run", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("component_not_found"), "{missing:?}");
}

#[test]
fn help_names_every_role_and_flag_env() {
    let help = Command::new(EDGE).arg("--help").output().expect("help");
    let text = String::from_utf8_lossy(&help.stdout);
    for verb in ["dev", "serve", "executor", "upload", "run", "jobs"] {
        assert!(text.contains(verb), "{verb} missing from\n{text}");
    }
    let serve = Command::new(EDGE).args(["serve", "--help"]).output().expect("help");
    let text = String::from_utf8_lossy(&serve.stdout);
    for flag in ["EDGE_NATS_URL", "EDGE_DATA_DIR", "EDGE_LISTEN", "EDGE_MAX_COMPONENT_BYTES"] {
        assert!(text.contains(flag), "{flag} missing from\n{text}");
    }
    let executor = Command::new(EDGE).args(["executor", "--help"]).output().expect("help");
    assert!(String::from_utf8_lossy(&executor.stdout).contains("EDGE_CONCURRENCY"));
}

#[tokio::test]
async fn dev_runs_the_whole_platform_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let nats_port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let data = dir.path().join("dev");
    let args = [
        "dev".to_string(),
        "--data-dir".into(),
        data.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--nats-port".into(),
        nats_port.to_string(),
        "--executors".into(),
        "2".into(),
    ];
    let server = nats_server_binary();
    let mut dev =
        Process::spawn_edge("dev", &args, &[("EDGE_NATS_SERVER", server.to_str().expect("path"))], dir.path());
    let addr = dev.wait_for_log_field("edge host listening", "addr");
    dev.wait_for_log("dev-executor-2");
    assert!(dev.log().contains(&format!("API        http://{addr}")), "{}", dev.log());

    // Dev mode requires the key it prints.
    let log = dev.log();
    let key = log
        .lines()
        .find_map(|line| line.trim().strip_prefix("API key")?.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| panic!("no API key printed: {log}"));
    let anonymous = reqwest::get(format!("http://{addr}/v1/jobs")).await.expect("get");
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    let http = reqwest::Client::new();
    let upload = http
        .post(format!("http://{addr}/v1/components?name=hello"))
        .bearer_auth(&key)
        .body(crate::support::guest("hello"))
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), reqwest::StatusCode::CREATED);
    let record: edge_wire::JobRecord = http
        .post(format!("http://{addr}/v1/jobs?wait=30s"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"component": "hello", "args": ["dev"]}))
        .send()
        .await
        .expect("run")
        .json()
        .await
        .expect("record");
    assert_eq!(record.stdout.text.as_deref(), Some("Hello, dev!\n"));

    let killed = Command::new("kill").args(["-TERM", &dev.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    assert_eq!(dev.wait_exit(), Some(0), "{}", dev.log());
    assert!(std::net::TcpStream::connect(("127.0.0.1", nats_port)).is_err(), "nats-server outlived edge dev");
}
