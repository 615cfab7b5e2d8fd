//! NATS with users (nats/nats-server.auth.conf): host and executors connect with their
//! credentials, a node without them is refused with a clear message, and an API client
//! cannot go around the API.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Nats, Process, guest};

const PASSWORDS: [(&str, &str); 3] = [
    ("EDGE_HOST_NATS_PASSWORD", "host-secret"),
    ("EDGE_EXECUTOR_NATS_PASSWORD", "executor-secret"),
    ("EDGE_CLIENT_NATS_PASSWORD", "client-secret"),
];

#[tokio::test]
async fn nodes_use_their_credentials_and_clients_stay_on_the_api() {
    let dir = tempfile::tempdir().expect("dir");
    let nats = Nats::start_with_config(dir.path(), "nats-server.auth.conf", &PASSWORDS);
    let node = |role: &str, user: &str, password: &str, data: &str| -> Vec<String> {
        let mut args = vec![role.to_string(), "--nats-url".into(), nats.url.clone()];
        args.extend(["--data-dir".into(), dir.path().join(data).display().to_string()]);
        if !user.is_empty() {
            args.extend(["--nats-user".into(), user.into(), "--nats-password".into(), password.into()]);
        }
        args
    };

    // Without credentials, or with wrong ones, a node says what is missing and exits.
    for (user, password) in [("", ""), ("edge-executor", "wrong")] {
        let mut refused = Process::spawn_edge("refused", &node("executor", user, password, "x"), &[], dir.path());
        assert_eq!(refused.wait_exit(), Some(1));
        assert!(refused.log().contains("refused this node's credentials"), "{}", refused.log());
    }

    let mut host_args = node("serve", "edge-host", "host-secret", "host");
    host_args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    let host = Process::spawn_edge("host", &host_args, &[], dir.path());
    let addr = host.wait_for_log_field("edge host listening", "addr");
    let executor =
        Process::spawn_edge("executor", &node("executor", "edge-executor", "executor-secret", "ex"), &[], dir.path());
    executor.wait_for_log("executor ready");

    let http = reqwest::Client::new();
    let upload = http.post(format!("http://{addr}/v1/components?name=hello")).body(guest("hello")).send().await;
    assert_eq!(upload.expect("upload").status(), StatusCode::CREATED);
    let record: edge_wire::JobRecord = http
        .post(format!("http://{addr}/v1/jobs?wait=30s"))
        .json(&json!({"component": "hello", "args": ["secured"]}))
        .send()
        .await
        .expect("run")
        .json()
        .await
        .expect("record");
    assert_eq!(record.stdout.text.as_deref(), Some("Hello, secured!\n"), "{record:?}");

    // An API client: requests through the micro service work...
    let client = async_nats::ConnectOptions::with_user_and_password("edge-client".into(), "client-secret".into())
        .connect(&nats.url)
        .await
        .expect("client connects");
    let reply = client
        .request("edge.api.jobs.submit", json!({"component": "hello", "args": ["nats"]}).to_string().into())
        .await
        .expect("submit over the API");
    let accepted: serde_json::Value = serde_json::from_slice(&reply.payload).expect("json");
    assert!(accepted["id"].is_string(), "{accepted}");
    // ...but queueing a job directly, or reading records, is not allowed.
    let js = async_nats::jetstream::new(client.clone());
    let direct = js.publish("edge.jobs.submit.01a20dd0-0000-7000-8000-000000000000", "{}".into()).await;
    let refused = match direct {
        Err(e) => e.to_string(),
        Ok(ack) => match ack.await {
            Err(e) => e.to_string(),
            Ok(ack) => panic!("a client queued a job past the API: {ack:?}"),
        },
    };
    assert!(!refused.is_empty());
    assert!(js.get_key_value("edge_jobs").await.is_err(), "a client opened the job records");
}
