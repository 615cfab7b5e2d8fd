//! Webhooks: signed deliveries to a real receiver, retries with backoff, giving up, redrive,
//! and refused URLs.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use edge_wire::{JobRecord, JobStatus, WebhookState};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{Options, Platform, error_code};

/// A webhook receiver on loopback that answers with the statuses it is given, in turn.
#[derive(Clone, Default)]
pub struct Receiver {
    answers: Arc<Mutex<Vec<StatusCode>>>,
    received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

impl Receiver {
    pub async fn start(answers: Vec<StatusCode>) -> (Self, String) {
        let receiver = Self { answers: Arc::new(Mutex::new(answers)), ..Default::default() };
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    pub fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.received.lock().expect("lock").clone()
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver.received.lock().expect("lock").push((headers, body));
    let mut answers = receiver.answers.lock().expect("lock");
    if answers.len() > 1 { answers.remove(0) } else { answers.first().copied().unwrap_or(StatusCode::OK) }
}

/// What a receiver does with `Edge-Signature: t=..,v1=..`.
fn signature_is_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = header.split_once(',') else { return false };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else { return false };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::decode(v1).is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
}

fn fast_retries(max_attempts: u32) -> Options {
    Options {
        host_args: vec![
            "--webhook-retry-base".into(),
            "100ms".into(),
            "--webhook-max-attempts".into(),
            max_attempts.to_string(),
        ],
        ..Options::default()
    }
}

pub async fn wait_webhook(platform: &Platform, id: &str, state: WebhookState) -> JobRecord {
    for _ in 0..500 {
        let record = platform.job(id).await;
        if record.webhook.as_ref().is_some_and(|w| w.state == state) {
            return record;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("webhook of {id} never reached {state:?}: {:?}", platform.job(id).await.webhook);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_and_signed() {
    let platform = Platform::start_with(fast_retries(5)).await;
    platform.upload("hello", "hello").await;
    let (receiver, url) = Receiver::start(vec![StatusCode::INTERNAL_SERVER_ERROR, StatusCode::OK]).await;
    let secret = "a-very-secret-key";
    let job = json!({"component": "hello", "args": ["hook"], "webhook": {"url": url, "secret": secret}});
    let record = platform.run(job).await;
    assert_eq!(record.status, JobStatus::Succeeded);
    let shown = serde_json::to_string(&record).expect("json");
    assert!(!shown.contains(secret), "the secret shows in the record");

    let record = wait_webhook(&platform, &record.id, WebhookState::Delivered).await;
    let webhook = record.webhook.expect("webhook");
    let codes: Vec<Option<u16>> = webhook.attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(200)]);

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    for (headers, body) in &received {
        assert_eq!(headers["edge-delivery"], webhook.delivery_id.as_str(), "one delivery id for every retry");
        let signature = headers["edge-signature"].to_str().expect("ascii");
        assert!(signature_is_valid(secret, signature, body), "bad signature {signature}");
        assert!(!signature_is_valid("wrong", signature, body));
        let sent: JobRecord = serde_json::from_slice(body).expect("record");
        assert_eq!((sent.id.as_str(), sent.status), (record.id.as_str(), JobStatus::Succeeded));
        assert_eq!(sent.stdout.text.as_deref(), Some("Hello, hook!\n"));
    }
    assert_eq!(received[0].1, received[1].1, "the same body on every attempt");
}

#[tokio::test]
async fn a_delivery_that_gives_up_can_be_redriven() {
    let platform = Platform::start_with(fast_retries(3)).await;
    platform.upload("hello", "hello").await;
    let (receiver, url) = Receiver::start(vec![StatusCode::SERVICE_UNAVAILABLE; 3]).await;
    let job = json!({"component": "hello", "webhook": {"url": url, "secret": "s"}});
    let record = platform.run(job).await;
    let failed = wait_webhook(&platform, &record.id, WebhookState::Failed).await;
    assert_eq!(failed.webhook.as_ref().map(|w| w.attempts.len()), Some(3));
    assert_eq!(receiver.received().len(), 3);

    // The receiver is fixed; a redrive delivers with a new delivery id.
    receiver.answers.lock().expect("lock").splice(.., [StatusCode::OK]);
    let response = platform
        .http
        .post(platform.url(&format!("/v1/jobs/{}/webhook/redrive", record.id)))
        .send()
        .await
        .expect("redrive");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let delivered = wait_webhook(&platform, &record.id, WebhookState::Delivered).await;
    let webhook = delivered.webhook.expect("webhook");
    assert_ne!(Some(&webhook.delivery_id), failed.webhook.as_ref().map(|w| &w.delivery_id));
    assert_eq!(webhook.attempts.len(), 4);
    assert_eq!(receiver.received().len(), 4);

    let again = platform
        .http
        .post(platform.url(&format!("/v1/jobs/{}/webhook/redrive", record.id)))
        .send()
        .await
        .expect("redrive");
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn refused_webhooks_and_cancelled_jobs() {
    let platform = Platform::start_with(Options {
        executors: 0,
        host_args: vec!["--webhook-deny-hosts".into(), "denied.example".into()],
        ..Options::default()
    })
    .await;
    platform.upload("hello", "hello").await;
    for webhook in [
        json!({"url": "ftp://example.com/x", "secret": "s"}),
        json!({"url": "not a url", "secret": "s"}),
        json!({"url": "http://denied.example/x", "secret": "s"}),
        json!({"url": "http://example.com/x", "secret": ""}),
    ] {
        let (status, body) = platform.submit(&json!({"component": "hello", "webhook": webhook}), "").await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_webhook"), "{webhook}: {body}");
    }
    let (status, body) = platform.submit(&json!({"component": "hello", "webhook": {"url": "x"}}), "").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"), "{body}");

    // A job cancelled before it ran still tells its webhook.
    let (receiver, url) = Receiver::start(vec![StatusCode::OK]).await;
    let (_, body) = platform.submit(&json!({"component": "hello", "webhook": {"url": url, "secret": "s"}}), "").await;
    let id = body["id"].as_str().expect("id").to_owned();
    let response = platform.http.delete(platform.url(&format!("/v1/jobs/{id}"))).send().await.expect("delete");
    assert_eq!(response.status(), StatusCode::OK);
    wait_webhook(&platform, &id, WebhookState::Delivered).await;
    let sent: Value = serde_json::from_slice(&receiver.received()[0].1).expect("json");
    assert_eq!(sent["status"], "cancelled");
}
