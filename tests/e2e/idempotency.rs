//! `Idempotency-Key` on submissions: repeats get the first job, over REST and NATS, also
//! when they race; a key reused for another request is refused.

use edge_wire::JobStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Platform, error_code};

async fn submit_with_key(platform: &Platform, job: &Value, key: &str, query: &str) -> (StatusCode, Value) {
    let response = platform
        .http
        .post(platform.url(&format!("/v1/jobs{query}")))
        .header("Idempotency-Key", key)
        .json(job)
        .send()
        .await
        .expect("submit");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn repeats_with_a_key_get_the_first_job() {
    let platform = Platform::start().await;
    platform.upload("hello", "hello").await;
    let job = json!({"component": "hello", "args": ["once"]});

    let (status, first) = submit_with_key(&platform, &job, "order-42", "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let id = first["id"].as_str().expect("id").to_owned();
    let (status, again) = submit_with_key(&platform, &job, "order-42", "").await;
    assert_eq!((status, again["id"].as_str()), (StatusCode::ACCEPTED, Some(id.as_str())));

    // With ?wait the repeat answers like the first would: the final record of that job.
    let (status, record) = submit_with_key(&platform, &job, "order-42", "?wait=10s").await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!((record["id"].as_str(), record["status"].as_str()), (Some(id.as_str()), Some("succeeded")));

    // Ten racing repeats of a new key: one job.
    let job2 = json!({"component": "hello", "args": ["race"]});
    let answers = futures::future::join_all((0..10).map(|_| submit_with_key(&platform, &job2, "race-key", ""))).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::ACCEPTED, "{b}");
            b["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let raced = platform.wait_final(ids.first().expect("id")).await;
    assert_eq!(raced.status, JobStatus::Succeeded);
    let list: edge_wire::JobList =
        platform.http.get(platform.url("/v1/jobs?limit=500")).send().await.expect("list").json().await.expect("json");
    assert_eq!(list.jobs.iter().filter(|j| j.args == ["race"]).count(), 1);

    // The same key for a different request, and malformed keys.
    let (status, body) =
        submit_with_key(&platform, &json!({"component": "hello", "args": ["other"]}), "order-42", "").await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"));
    assert!(body["error"]["message"].as_str().expect("message").contains(&id), "{body}");
    for bad in ["", &"k".repeat(256)] {
        let (status, body) = submit_with_key(&platform, &job, bad, "").await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"), "{bad:?}");
    }

    // A refused request does not use up its key.
    let (status, _) = submit_with_key(&platform, &json!({"component": "nope"}), "later-ok", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = submit_with_key(&platform, &json!({"component": "hello"}), "later-ok", "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // The keys live in a KV bucket for a day, far past the job stream's duplicate window.
    let js = async_nats::jetstream::new(platform.nats_client().await);
    let bucket = js.get_key_value("edge_idempotency").await.expect("bucket");
    let bucket_info = bucket.status().await.expect("status");
    let mut jobs = js.get_stream("EDGE_JOBS").await.expect("jobs stream");
    let window = jobs.info().await.expect("info").config.duplicate_window;
    assert!(bucket_info.max_age() >= std::time::Duration::from_secs(86_400) && bucket_info.max_age() > window);
}

#[tokio::test]
async fn the_nats_api_honours_the_idempotency_key_header() {
    let platform = Platform::start().await;
    platform.upload("hello", "hello").await;
    let client = platform.nats_client().await;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Idempotency-Key", "nats-1");
    let payload = bytes::Bytes::from(json!({"component": "hello"}).to_string());
    let mut ids = Vec::new();
    for _ in 0..2 {
        let reply =
            client.request_with_headers("edge.api.jobs.submit", headers.clone(), payload.clone()).await.expect("reply");
        let body: Value = serde_json::from_slice(&reply.payload).expect("json");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids[0], ids[1]);
}
