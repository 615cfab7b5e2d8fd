//! Real processes for end-to-end tests: a nats-server with its own store on a free port,
//! `edge serve` and `edge executor` processes, and an HTTP client for the host.
//!
//! Every process is killed when its fixture drops. Its log is kept in the test's temp dir
//! and printed when the test fails.

#![allow(dead_code)] // each test module uses a different part

mod process;
mod sse;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use edge_wire::{ComponentInfo, JobRecord};
pub use process::Process;
use reqwest::StatusCode;
use serde_json::Value;
pub use sse::{SseEvent, SseReader};

/// The edge binary under test.
pub const EDGE: &str = env!("CARGO_BIN_EXE_edge");

/// Longest a test waits for a job or a process.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The directory with the guest components (`just guests` builds them).
pub fn guest_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("EDGE_GUEST_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/target"));
    target.join("wasm32-wasip2/release")
}

/// Bytes of a guest component.
pub fn guest(name: &str) -> Vec<u8> {
    let path = guest_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("guest {} missing ({e}): run `just guests`", path.display()))
}

pub fn nats_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("EDGE_NATS_SERVER") {
        return PathBuf::from(path);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/nats-server");
    if venv.exists() { venv } else { PathBuf::from("nats-server") }
}

/// A nats-server on a free loopback port with its own store.
pub struct Nats {
    pub url: String,
    pub process: Process,
    store: PathBuf,
}

impl Nats {
    /// Starts a server with JetStream (`jetstream = true`) or without.
    pub fn start(dir: &Path, jetstream: bool) -> Self {
        let store = dir.join("nats-store");
        let (process, url) = Self::spawn(dir, &store, "-1", jetstream, "nats-server.conf", &[]);
        Self { url, process, store }
    }

    /// Starts a server with `nats/<config>` and `env` (e.g. the passwords its users need).
    pub fn start_with_config(dir: &Path, config: &str, env: &[(&str, &str)]) -> Self {
        let store = dir.join("nats-store");
        let (process, url) = Self::spawn(dir, &store, "-1", true, config, env);
        Self { url, process, store }
    }

    fn spawn(
        dir: &Path,
        store: &Path,
        port: &str,
        jetstream: bool,
        config: &str,
        env: &[(&str, &str)],
    ) -> (Process, String) {
        let ports = dir.join("nats-ports");
        std::fs::create_dir_all(&ports).expect("ports dir");
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats").join(config);
        let mut args: Vec<String> = vec!["-a".into(), "127.0.0.1".into(), "-p".into(), port.into()];
        args.extend(["--ports_file_dir".into(), ports.display().to_string()]);
        if jetstream {
            args.extend([
                "-c".into(),
                config.display().to_string(),
                "-js".into(),
                "-sd".into(),
                store.display().to_string(),
            ]);
        }
        let process = Process::spawn("nats-server", &nats_server_binary(), &args, env, dir);
        let ports_file = ports.join(format!("nats-server_{}.ports", process.id()));
        let url = wait_for(|| {
            let text = std::fs::read_to_string(&ports_file).ok()?;
            let ports: Value = serde_json::from_str(&text).ok()?;
            ports["nats"][0].as_str().map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("nats-server wrote no ports file\n{}", process.log()));
        (process, url)
    }

    /// Kills the server (SIGKILL): clients see the connection drop.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self, dir: &Path) {
        let port = self.url.rsplit(':').next().expect("port").to_owned();
        let (process, url) = Self::spawn(dir, &self.store, &port, true, "nats-server.conf", &[]);
        assert_eq!(url, self.url, "restarted on another address");
        self.process = process;
    }
}

/// Options for a test platform.
#[derive(Clone)]
pub struct Options {
    pub executors: usize,
    pub concurrency: u32,
    pub ack_wait: &'static str,
    pub host_args: Vec<String>,
    pub executor_env: Vec<(String, String)>,
    /// Require API keys: the host gets a key file with one admin key of tenant `default`,
    /// which `Platform::http` then sends.
    pub admin_key: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            executors: 1,
            concurrency: 2,
            ack_wait: "30s",
            host_args: Vec::new(),
            executor_env: Vec::new(),
            admin_key: false,
        }
    }
}

impl Options {
    /// Executors that mark a job running only after `after` (`--announce-after`): a job
    /// that ends sooner has `done` as its only event.
    pub fn announcing_after(after: &str) -> Self {
        Self { executor_env: vec![("EDGE_ANNOUNCE_AFTER".to_owned(), after.to_owned())], ..Self::default() }
    }
}

/// nats-server, one host and some executors, each a real process.
pub struct Platform {
    // Fields drop in order: processes first (their logs print on failure), the dir last.
    pub executors: Vec<Process>,
    pub host: Process,
    pub nats: Nats,
    pub base: String,
    pub http: reqwest::Client,
    /// The admin key, with `Options::admin_key`.
    pub api_key: Option<String>,
    options: Options,
    next_executor: usize,
    pub dir: tempfile::TempDir,
}

impl Platform {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(mut options: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let api_key = options.admin_key.then(|| {
            let key = format!("edge_test_{}", uuid::Uuid::new_v4().simple());
            let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()));
            let file = dir.path().join("api-keys.json");
            let entry =
                serde_json::json!({"name": "test-admin", "tenant": "default", "role": "admin", "sha256": sha256});
            std::fs::write(&file, serde_json::json!({ "keys": [entry] }).to_string()).expect("key file");
            options.host_args.extend(["--api-keys".to_string(), file.display().to_string()]);
            key
        });
        let nats = Nats::start(dir.path(), true);
        let mut args = vec!["serve".to_string(), "--nats-url".into(), nats.url.clone()];
        args.extend([
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            dir.path().join("host").display().to_string(),
        ]);
        args.extend(options.host_args.iter().cloned());
        let host = Process::spawn_edge("host", &args, &[], dir.path());
        let addr = host.wait_for_log_field("edge host listening", "addr");
        let base = format!("http://{addr}");
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(key) = &api_key {
            headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {key}").parse().expect("header"));
        }
        let http = reqwest::Client::builder().timeout(PATIENCE).default_headers(headers).build().expect("http client");
        let mut platform = Self {
            executors: Vec::new(),
            host,
            nats,
            base,
            http,
            api_key,
            options: options.clone(),
            next_executor: 0,
            dir,
        };
        for _ in 0..options.executors {
            platform.add_executor();
        }
        platform
    }

    /// Kills the host (SIGKILL) and starts a new one on the same address.
    pub fn restart_host(&mut self) {
        self.host.kill();
        let addr = self.base.trim_start_matches("http://").to_owned();
        let mut args = vec!["serve".to_string(), "--nats-url".into(), self.nats.url.clone()];
        args.extend(["--listen".into(), addr, "--data-dir".into(), self.dir.path().join("host").display().to_string()]);
        args.extend(self.options.host_args.iter().cloned());
        self.host = Process::spawn_edge("host-2", &args, &[], self.dir.path());
        self.host.wait_for_log("edge host listening");
    }

    /// Starts one more executor process and waits until it pulls jobs.
    pub fn add_executor(&mut self) -> usize {
        self.next_executor += 1;
        let n = self.next_executor;
        let data = self.dir.path().join(format!("executor-{n}"));
        let args = [
            "executor".to_string(),
            "--nats-url".into(),
            self.nats.url.clone(),
            "--data-dir".into(),
            data.display().to_string(),
            "--concurrency".into(),
            self.options.concurrency.to_string(),
            "--ack-wait".into(),
            self.options.ack_wait.into(),
            "--id".into(),
            format!("executor-{n}"),
        ];
        let env: Vec<(&str, &str)> = self.options.executor_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let executor = Process::spawn_edge(&format!("executor-{n}"), &args, &env, self.dir.path());
        executor.wait_for_log("executor ready");
        self.executors.push(executor);
        self.executors.len() - 1
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Uploads a guest under `name`.
    pub async fn upload(&self, name: &str, guest_name: &str) -> ComponentInfo {
        let response = self
            .http
            .post(self.url("/v1/components"))
            .query(&[("name", name)])
            .body(guest(guest_name))
            .send()
            .await
            .expect("upload");
        let status = response.status();
        let body = response.text().await.expect("body");
        assert!(status.is_success(), "upload of {guest_name} as {name}: {status} {body}");
        serde_json::from_str(&body).expect("component info")
    }

    /// Submits a job (JSON) and returns the status and body.
    pub async fn submit(&self, job: &Value, query: &str) -> (StatusCode, Value) {
        let response = self.http.post(self.url(&format!("/v1/jobs{query}"))).json(job).send().await.expect("submit");
        let status = response.status();
        (status, response.json().await.expect("json answer"))
    }

    /// Submits and waits for the final record.
    pub async fn run(&self, job: Value) -> JobRecord {
        let (status, body) = self.submit(&job, "").await;
        assert_eq!(status, StatusCode::ACCEPTED, "submit {job}: {body}");
        let id = body["id"].as_str().expect("id").to_owned();
        self.wait_final(&id).await
    }

    /// Polls a job until it is final.
    pub async fn wait_final(&self, id: &str) -> JobRecord {
        let started = Instant::now();
        loop {
            let record = self.job(id).await;
            if record.status.is_final() {
                return record;
            }
            assert!(started.elapsed() < PATIENCE, "job {id} not final after {PATIENCE:?}: {record:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls a job until an executor runs it, and returns that record.
    pub async fn wait_running(&self, id: &str) -> JobRecord {
        let started = Instant::now();
        loop {
            let record = self.job(id).await;
            match record.status {
                edge_wire::JobStatus::Running => return record,
                status if status.is_final() => panic!("job {id} ended before it was seen running: {record:?}"),
                _ => {}
            }
            assert!(started.elapsed() < PATIENCE, "job {id} never ran");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn job(&self, id: &str) -> JobRecord {
        let response = self.http.get(self.url(&format!("/v1/jobs/{id}"))).send().await.expect("get job");
        assert_eq!(response.status(), StatusCode::OK, "GET job {id}");
        response.json().await.expect("record")
    }

    /// Opens the job's event stream, resuming after `last_event_id` if given.
    pub async fn events(&self, id: &str, last_event_id: Option<&str>) -> SseReader {
        let mut request = self.http.get(self.url(&format!("/v1/jobs/{id}/events")));
        if let Some(last) = last_event_id {
            request = request.header("Last-Event-ID", last);
        }
        let response = request.send().await.expect("events");
        assert_eq!(response.status(), StatusCode::OK, "events of {id}");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        SseReader::new(response)
    }

    /// A direct NATS client, for looking at what edge stored.
    pub async fn nats_client(&self) -> async_nats::Client {
        async_nats::connect(&self.nats.url).await.expect("nats connect")
    }
}

/// Polls `f` every 20 ms until it returns `Some`, for at most [`PATIENCE`].
pub fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        if let Some(value) = f() {
            return Some(value);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The error code of an error answer.
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error answer: {body}"))
}
