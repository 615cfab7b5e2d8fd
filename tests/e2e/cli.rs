//! The client verbs against a running platform, as a person would use them.

use std::process::Command;

use crate::support::{EDGE, Platform, guest_dir};

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
