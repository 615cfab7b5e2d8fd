//! Huge and malformed requests: bodies, headers, paths, WebSocket frames and SSE ids get a
//! 4xx (or a closed socket), and the host keeps serving everyone else.

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Platform, error_code};

/// Sends raw bytes and returns the status line the host answered with.
async fn raw(platform: &Platform, request: &[u8]) -> String {
    let addr = platform.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The host may answer (and close) before it has read everything: that is fine.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

async fn healthy(platform: &Platform) {
    let health = platform.http.get(platform.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn huge_and_malformed_requests_get_4xx_and_the_host_carries_on() {
    let platform = Platform::start().await;
    platform.upload("hello", "hello").await;

    // Bodies: over the JSON limit, not JSON, not UTF-8, deeply nested.
    let huge = json!({"component": "hello", "stdin": "x".repeat(5 << 20)});
    let (status, body) = platform.submit(&huge, "").await;
    assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), "{body}");
    for bad in [&b"{not json"[..], &[0xff, 0xfe, 0x00][..], "[".repeat(100_000).as_bytes()] {
        let response = platform.http.post(platform.url("/v1/jobs")).body(bad.to_vec()).send().await.expect("post");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    // Headers: one of 100 KB, and thousands of them.
    let long =
        format!("GET /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: {}\r\n\r\n", "a".repeat(100 << 10));
    let status = raw(&platform, long.as_bytes()).await;
    assert!(status.contains(" 431 "), "{status:?}");
    let many: String = (0..5_000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let status =
        raw(&platform, format!("GET /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{many}\r\n").as_bytes()).await;
    assert!(status.contains(" 431 ") || status.contains(" 400 "), "{status:?}");
    // Not HTTP at all.
    let status = raw(&platform, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").await;
    assert!(status.is_empty() || status.contains(" 400 "), "{status:?}");

    // Paths: very long, badly escaped, not a job id, dot segments.
    for path in [
        format!("/v1/jobs/{}", "a".repeat(20_000)),
        "/v1/jobs/%zz".to_owned(),
        "/v1/components/..%2f..%2fetc%2fpasswd".to_owned(),
        "/v1/jobs/not-a-uuid/events".to_owned(),
        format!("/fn/{}/", "n".repeat(5_000)),
    ] {
        let response = platform.http.get(platform.url(&path)).send().await.expect("get");
        assert!(response.status().is_client_error(), "{path}: {}", response.status());
    }

    // SSE ids: not a number, out of range, huge.
    let job = platform.run(json!({"component": "hello"})).await;
    for id in ["abc", "99999999999999999999999", &"9".repeat(10_000)] {
        let response = platform
            .http
            .get(platform.url(&format!("/v1/jobs/{}/events", job.id)))
            .header("last-event-id", id)
            .send()
            .await
            .expect("events");
        assert!(
            response.status().is_client_error(),
            "Last-Event-ID {}: {}",
            &id[..id.len().min(20)],
            response.status()
        );
    }

    // WebSocket: a frame over the limit closes that socket only; garbage gets an error.
    let url = format!("{}/v1/ws", platform.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.expect("socket");
    socket.send(Message::text("{\"type\":")).await.expect("send");
    let answer = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("answer").expect("open");
    assert!(answer.expect("frame").to_string().contains("invalid_message"));
    let _ = socket.send(Message::text("x".repeat(8 << 20))).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    });
    ended.await.expect("the oversized frame closed the socket");

    // Everyone else is still served.
    healthy(&platform).await;
    let after = platform.run(json!({"component": "hello", "args": ["after"]})).await;
    assert_eq!(after.stdout.text.as_deref(), Some("Hello, after!\n"));
}
