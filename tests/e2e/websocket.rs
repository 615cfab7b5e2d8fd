//! `GET /v1/ws`: submit and follow over a socket, broadcasts to every subscriber, errors as
//! messages, and a slow reader that only hurts itself.

use std::time::Duration;

use edge_wire::{JobEvent, JobStatus, ServerMessage};
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Options, Platform};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(platform: &Platform) -> Socket {
    let url = format!("{}/v1/ws", platform.base.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url).await.expect("websocket").0
}

pub async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.expect("send");
}

pub async fn receive(socket: &mut Socket) -> ServerMessage {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("a message within 30 s")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }
}

/// Reads until `done` of `job`, returning everything read.
async fn until_done(socket: &mut Socket, job: &str) -> Vec<ServerMessage> {
    let mut seen = Vec::new();
    loop {
        let message = receive(socket).await;
        let end = matches!(&message, ServerMessage::Event { job: j, event: JobEvent::Done(_), .. } if j == job);
        seen.push(message);
        if end {
            return seen;
        }
    }
}

#[tokio::test]
async fn submit_over_the_socket_and_follow_the_job() {
    let platform = Platform::start().await;
    platform.upload("sleep-print", "sleep-print").await;
    let mut socket = connect(&platform).await;
    send(&mut socket, json!({"type": "submit", "job": {"component": "sleep-print", "args": ["3", "50"]}})).await;
    let ServerMessage::Accepted { id, .. } = receive(&mut socket).await else { panic!("not accepted") };
    let seen = until_done(&mut socket, &id).await;
    let stdout: String = seen
        .iter()
        .filter_map(|m| match m {
            ServerMessage::Event { event: JobEvent::Stdout(chunk), .. } => chunk.data.text.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(stdout, "line 1\nline 2\nline 3\n");
    let seqs: Vec<u64> =
        seen.iter().filter_map(|m| if let ServerMessage::Event { seq, .. } = m { *seq } else { None }).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Resuming after the second-to-last event gives exactly the last one: `done`.
    let before_done = seqs[seqs.len() - 2];
    send(&mut socket, json!({"type": "subscribe", "job": id, "after": before_done})).await;
    assert!(matches!(receive(&mut socket).await, ServerMessage::Subscribed { .. }));
    match receive(&mut socket).await {
        ServerMessage::Event { event: JobEvent::Done(record), .. } => assert_eq!(record.status, JobStatus::Succeeded),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn every_subscriber_to_all_sees_a_rest_job_and_bad_input_is_answered() {
    // `hello` ends long before its executor would announce it.
    let platform = Platform::start_with(Options::announcing_after("1h")).await;
    platform.upload("hello", "hello").await;
    let mut first = connect(&platform).await;
    let mut second = connect(&platform).await;
    for socket in [&mut first, &mut second] {
        // Bad input first: answered with an error, and the socket stays usable.
        socket.send(Message::text("{not json")).await.expect("send");
        assert!(matches!(receive(socket).await, ServerMessage::Error { code, .. } if code == "invalid_message"));
        send(socket, json!({"type": "launch"})).await;
        assert!(matches!(receive(socket).await, ServerMessage::Error { code, .. } if code == "invalid_message"));
        send(socket, json!({"type": "subscribe", "job": "nope"})).await;
        assert!(matches!(receive(socket).await, ServerMessage::Error { code, .. } if code == "invalid_job_id"));
        send(socket, json!({"type": "submit", "job": {"component": "missing"}})).await;
        assert!(matches!(receive(socket).await, ServerMessage::Error { code, .. } if code == "component_not_found"));
        send(socket, json!({"type": "subscribe", "all": true})).await;
        assert!(matches!(receive(socket).await, ServerMessage::Subscribed { all: true, .. }));
    }
    let record = platform.run(json!({"component": "hello", "args": ["everyone"]})).await;
    for socket in [&mut first, &mut second] {
        let seen = until_done(socket, &record.id).await;
        // Not announced: `done` is the job's only event and carries the output.
        let of_job: Vec<&JobEvent> = seen
            .iter()
            .filter_map(|m| match m {
                ServerMessage::Event { job, event, .. } if *job == record.id => Some(event),
                _ => None,
            })
            .collect();
        match of_job.as_slice() {
            [JobEvent::Done(done)] => assert_eq!(done.stdout.text.as_deref(), Some("Hello, everyone!\n")),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn cancel_over_the_socket() {
    let platform = Platform::start().await;
    platform.upload("endless-loop", "endless-loop").await;
    let mut socket = connect(&platform).await;
    send(&mut socket, json!({"type": "submit", "job": {"component": "endless-loop", "limits": {"timeout_ms": 60000}}}))
        .await;
    let ServerMessage::Accepted { id, .. } = receive(&mut socket).await else { panic!("not accepted") };
    // Wait for it to run, from its own events.
    loop {
        if let ServerMessage::Event { event: JobEvent::Status { status: JobStatus::Running, .. }, .. } =
            receive(&mut socket).await
        {
            break;
        }
    }
    send(&mut socket, json!({"type": "cancel", "job": id})).await;
    let mut seen = until_done(&mut socket, &id).await;
    // The answer to the cancel may come before or after the job's `done`.
    if !seen.iter().any(|m| matches!(m, ServerMessage::CancelResult { .. })) {
        seen.push(receive(&mut socket).await);
    }
    assert!(
        seen.iter().any(|m| matches!(m, ServerMessage::CancelResult { status: JobStatus::Cancelled, .. })),
        "{seen:?}"
    );
    assert_eq!(platform.job(&id).await.status, JobStatus::Cancelled);
}

#[tokio::test]
async fn a_slow_reader_loses_only_its_own_events_and_is_told() {
    let platform = Platform::start_with(Options {
        host_args: vec!["--ws-buffer-messages".into(), "4".into()],
        concurrency: 4,
        ..Options::default()
    })
    .await;
    platform.upload("echo", "echo").await;
    let mut slow = connect(&platform).await;
    let mut fast = connect(&platform).await;
    for socket in [&mut slow, &mut fast] {
        send(socket, json!({"type": "subscribe", "all": true})).await;
        assert!(matches!(receive(socket).await, ServerMessage::Subscribed { .. }));
    }
    // Big `done` records, so the slow socket's kernel buffers fill and its outbox overflows.
    // One job at a time: the fast reader keeps up and sees every job end, while the slow
    // one reads nothing.
    let stdin = "x".repeat(200_000);
    for _ in 0..40 {
        let (_, body) = platform.submit(&json!({"component": "echo", "stdin": stdin}), "").await;
        let id = body["id"].as_str().expect("id").to_owned();
        let seen = until_done(&mut fast, &id).await;
        assert!(!seen.iter().any(|m| matches!(m, ServerMessage::Lagged { .. })), "the fast reader lagged");
    }
    let mut lagged = 0;
    for _ in 0..200 {
        match tokio::time::timeout(Duration::from_secs(2), slow.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                if let Ok(ServerMessage::Lagged { dropped }) = serde_json::from_str(&text) {
                    lagged += dropped;
                }
            }
            _ => break,
        }
    }
    assert!(lagged > 0, "the slow reader was never told it lost events");
}
