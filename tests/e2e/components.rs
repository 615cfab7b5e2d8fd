//! Uploading, versioning and describing components, and every way an upload is refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, Platform, error_code, guest};

async fn post_component(platform: &Platform, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response =
        platform.http.post(platform.url(&format!("/v1/components{query}"))).body(body).send().await.expect("post");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn upload_detects_kind_and_versions_by_digest() {
    let platform = Platform::start().await;
    let hello = guest("hello");
    let (status, first) = post_component(&platform, "?name=greeter", hello.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["kind"], "command");
    assert_eq!(first["version"], 1);
    assert_eq!(first["size"], hello.len());
    let hello_digest = first["digest"].as_str().expect("digest").to_owned();
    assert!(hello_digest.starts_with("sha256:") && hello_digest.len() == 7 + 64, "{hello_digest}");

    // The same bytes again make no new version.
    let (status, again) = post_component(&platform, "?name=greeter", hello).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["version"], 1);

    let v1 = platform.run(json!({"component": "greeter", "args": ["v1"]})).await;
    assert_eq!(v1.stdout.text.as_deref(), Some("Hello, v1!\n"));

    // New bytes under the same name make version 2; version 1 stays runnable by digest.
    // The very next job by name runs version 2 (the host's name cache learns its own writes).
    let (status, second) = post_component(&platform, "?name=greeter", guest("echo")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(second["version"], 2);
    assert_ne!(second["digest"], hello_digest);
    assert_eq!(second["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["versions"][0]["digest"], hello_digest);

    let by_name = platform.run(json!({"component": "greeter", "stdin": "piped"})).await;
    assert_eq!(by_name.stdout.text.as_deref(), Some("piped"), "current version is echo");
    let old = platform.run(json!({"component": hello_digest, "args": ["old"]})).await;
    assert_eq!(old.stdout.text.as_deref(), Some("Hello, old!\n"), "old digest still runs");
    assert_eq!(old.digest, hello_digest);

    let described: Value = platform
        .http
        .get(platform.url("/v1/components/greeter"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(described["version"], 2);
    platform.upload("another", "hello").await;
    let list: Value =
        platform.http.get(platform.url("/v1/components")).send().await.expect("list").json().await.expect("json");
    let names: Vec<&str> =
        list["components"].as_array().expect("array").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["another", "greeter"]);
}

#[tokio::test]
async fn bad_uploads_get_clear_errors() {
    let platform = Platform::start_with(Options {
        host_args: vec!["--max-component-bytes".into(), "100000".into()],
        ..Options::default()
    })
    .await;

    let (status, body) = post_component(&platform, "?name=junk", b"#!/bin/sh\necho hi\n".to_vec()).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_component"), "{body}");

    let core = wat::parse_str("(module (func (export \"_start\")))").expect("wat");
    let (status, body) = post_component(&platform, "?name=core", core).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_component"));
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("wasm32-wasip2") && message.contains("wasm-tools component new"), "{message}");

    // A valid component with nothing edge can run.
    let empty = wat::parse_str("(component)").expect("wat");
    let (status, body) = post_component(&platform, "?name=empty", empty).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_component"), "{body}");

    // Truncated: a component header and then garbage.
    let mut broken = guest("hello");
    broken.truncate(broken.len() / 2);
    let (status, body) = post_component(&platform, "?name=broken", broken).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_component"));

    let (status, body) = post_component(&platform, "?name=big", vec![0u8; 100_001]).await;
    assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));

    for query in ["?name=bad.name", "?name=", "?name=-x", "?name=a%2Fb", ""] {
        let (status, body) = post_component(&platform, query, guest("hello")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_name"), "{query}: {body}");
    }

    let response = platform.http.get(platform.url("/v1/components/nope")).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "component_not_found");

    // Nothing refused was stored.
    let list: Value =
        platform.http.get(platform.url("/v1/components")).send().await.expect("list").json().await.expect("json");
    assert_eq!(list["components"], json!([]));
}

#[tokio::test]
async fn default_upload_limit_is_50_mib_and_refused_before_the_body() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let platform = Platform::start_with(Options { executors: 0, ..Options::default() }).await;
    // Only the headers: the host must answer from Content-Length alone, as for a client
    // that sent `Expect: 100-continue`.
    let addr = platform.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /v1/components?name=huge HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        (50 << 20) + 1
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    // Exactly at the limit is not refused for its size (it is not a component either).
    let (status, body) = post_component(&platform, "?name=huge", vec![0u8; 50 << 20]).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_component"));
}

/// Exports only `wasi:http/incoming-handler`: an edge function, not a job.
const HTTP_COMPONENT: &str = r#"(component
    (core module $m (func (export "handle")))
    (core instance $ci (instantiate $m))
    (func $handle (canon lift (core func $ci "handle")))
    (instance $inst (export "handle" (func $handle)))
    (export "wasi:http/incoming-handler@0.2.0" (instance $inst))
)"#;

#[tokio::test]
async fn an_http_component_is_recognised_and_not_run_as_a_job() {
    let platform = Platform::start().await;
    let (status, info) = post_component(&platform, "?name=site", wat::parse_str(HTTP_COMPONENT).expect("wat")).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["kind"], "http");
    for reference in [json!("site"), info["digest"].clone()] {
        let (status, body) = platform.submit(&json!({"component": reference}), "").await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "unsupported_kind"), "{body}");
    }
}
