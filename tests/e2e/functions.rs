//! Edge functions at `/fn/{name}/...`: served in the host, through real HTTP.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, Platform, error_code};

async fn platform_with_functions(host_args: &[&str]) -> Platform {
    let platform = Platform::start_with(Options {
        executors: 0,
        host_args: host_args.iter().map(|a| a.to_string()).collect(),
        ..Options::default()
    })
    .await;
    for (name, guest) in [("hello-fn", "http-hello"), ("stream-fn", "http-stream"), ("fetch-fn", "http-fetch")] {
        let info = platform.upload(name, guest).await;
        assert_eq!(info.kind, edge_wire::ComponentKind::Http);
    }
    platform
}

#[tokio::test]
async fn a_function_sees_the_request_and_answers() {
    let platform = platform_with_functions(&[]).await;
    let response = platform
        .http
        .get(platform.url("/fn/hello-fn/some/path?x=1&y=2"))
        .header("x-greeting", "hi there")
        .send()
        .await
        .expect("call");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-edge-fn"], "http-hello");
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(
        response.text().await.expect("body"),
        "method: GET\npath: /some/path?x=1&y=2\ngreeting: hi there\nbody: \n"
    );

    // The same function by its tenant-qualified name.
    let qualified = platform.http.get(platform.url("/fn/default.hello-fn/q")).send().await.expect("call");
    assert_eq!(qualified.status(), StatusCode::OK);
    assert!(qualified.text().await.expect("body").contains("path: /q\n"));

    let posted = platform.http.post(platform.url("/fn/hello-fn")).body("payload!").send().await.expect("call");
    assert_eq!(posted.text().await.expect("body"), "method: POST\npath: /\ngreeting: none\nbody: payload!\n");

    // Pinned to a version by digest.
    let info: Value = platform
        .http
        .get(platform.url("/v1/components/hello-fn"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let digest = info["digest"].as_str().expect("digest");
    let pinned = platform.http.get(platform.url(&format!("/fn/hello-fn@{digest}/pinned"))).send().await.expect("call");
    assert_eq!(pinned.status(), StatusCode::OK);
    assert!(pinned.text().await.expect("body").contains("path: /pinned"));

    platform.upload("a-command", "hello").await;
    for (path, status, code) in [
        ("/fn/nope/x", StatusCode::NOT_FOUND, "function_not_found"),
        (&format!("/fn/hello-fn@sha256:{}/", "0".repeat(64)) as &str, StatusCode::NOT_FOUND, "function_not_found"),
        ("/fn/a-command/", StatusCode::BAD_REQUEST, "not_an_http_component"),
        ("/fn/bad..name/", StatusCode::BAD_REQUEST, "invalid_name"),
        ("/fn/Bad_Tenant.hello/", StatusCode::BAD_REQUEST, "invalid_name"),
        // `<tenant>.<name>`: another tenant's namespace, where nothing is called that.
        ("/fn/other.hello-fn/", StatusCode::NOT_FOUND, "function_not_found"),
    ] {
        let response = platform.http.get(platform.url(path)).send().await.expect("call");
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_code(&body), code, "{path}");
    }
}

#[tokio::test]
async fn traps_and_deadlines_are_500_and_504() {
    let platform = platform_with_functions(&["--fn-timeout", "500ms"]).await;
    let trapped = platform.http.get(platform.url("/fn/hello-fn/panic")).send().await.expect("call");
    assert_eq!(trapped.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = trapped.json().await.expect("json");
    assert_eq!(error_code(&body), "function_failed");
    assert!(platform.host.log().contains("function failed"), "no log line for the trap");

    let started = Instant::now();
    let spun = platform.http.get(platform.url("/fn/hello-fn/spin")).send().await.expect("call");
    assert_eq!(spun.status(), StatusCode::GATEWAY_TIMEOUT);
    let body: Value = spun.json().await.expect("json");
    assert_eq!(error_code(&body), "function_timeout");
    assert!(started.elapsed() >= Duration::from_millis(500));

    let after = platform.http.get(platform.url("/fn/hello-fn/ok")).send().await.expect("call");
    assert_eq!(after.status(), StatusCode::OK);

    let metrics =
        platform.http.get(platform.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("edge_fn_requests_total{function=\"hello-fn\",class=\"2xx\"} 1"), "{metrics}");
    assert!(metrics.contains("edge_fn_requests_total{function=\"hello-fn\",class=\"5xx\"} 2"), "{metrics}");
    assert!(metrics.contains("edge_fn_request_seconds_count{function=\"hello-fn\"} 3"), "{metrics}");
}

#[tokio::test]
async fn a_body_streams_as_the_function_writes_it() {
    let platform = platform_with_functions(&[]).await;
    // Compile it first, so the timing below is the function's own.
    let warm = platform.http.get(platform.url("/fn/stream-fn/?n=1")).send().await.expect("call");
    assert_eq!(warm.text().await.expect("body"), "chunk 1\n");
    let started = Instant::now();
    let response = platform.http.get(platform.url("/fn/stream-fn/?n=6")).send().await.expect("call");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let mut first_chunk_at = None;
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        first_chunk_at.get_or_insert(started.elapsed());
    }
    let total = started.elapsed();
    assert_eq!(text, (1..=6).map(|i| format!("chunk {i}\n")).collect::<String>());
    let first = first_chunk_at.expect("a chunk");
    // Six chunks 100 ms apart: the first must not wait for the last.
    assert!(first < total / 2, "first chunk after {first:?} of {total:?}");
}

#[tokio::test]
async fn outbound_requests_need_the_allow_list() {
    let platform = platform_with_functions(&[]).await;
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let authority = upstream.local_addr().expect("addr").to_string();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "upstream ok" }));
    tokio::spawn(async move { axum::serve(upstream, app).await });

    let url = platform.url(&format!("/fn/fetch-fn/?target={authority}"));
    let denied = platform.http.get(&url).send().await.expect("call");
    assert_eq!(denied.status(), StatusCode::BAD_GATEWAY);
    assert!(denied.text().await.expect("body").contains("HttpRequestDenied"));

    let configured = platform
        .http
        .put(platform.url("/v1/components/fetch-fn/config"))
        .json(&json!({"allowed_outbound_hosts": [authority]}))
        .send()
        .await
        .expect("config");
    assert_eq!(configured.status(), StatusCode::OK);
    // The host learns the new config from its watch on edge_names.
    let mut answer = String::new();
    for _ in 0..100 {
        let response = platform.http.get(&url).send().await.expect("call");
        if response.status() == StatusCode::OK {
            answer = response.text().await.expect("body");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(answer, "upstream ok");

    for bad in [json!({"allowed_outbound_hosts": ["http://x/"]}), json!({"allowed": []})] {
        let response =
            platform.http.put(platform.url("/v1/components/fetch-fn/config")).json(&bad).send().await.expect("config");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let missing =
        platform.http.put(platform.url("/v1/components/nope/config")).json(&json!({})).send().await.expect("config");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
