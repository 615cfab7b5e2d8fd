//! API keys, roles and tenants: every REST, SSE, WebSocket and NATS request names a key;
//! a tenant's components and jobs are invisible to every other tenant's keys.

use std::time::Duration;

use futures::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Options, Platform, error_code, guest};
use crate::websocket::{receive, send};

/// A key of the test's key file.
struct Key {
    secret: String,
    http: reqwest::Client,
}

fn key(secret: &str) -> Key {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {secret}").parse().expect("header"));
    let http = reqwest::Client::builder().default_headers(headers).build().expect("client");
    Key { secret: secret.to_owned(), http }
}

/// A platform whose host only accepts the keys of `keys` (name, tenant, role, secret).
async fn platform_with_keys(dir: &std::path::Path, keys: &[(&str, &str, &str, &str)]) -> Platform {
    let entries: Vec<Value> = keys
        .iter()
        .map(|(name, tenant, role, secret)| {
            json!({"name": name, "tenant": tenant, "role": role, "sha256": hex::encode(Sha256::digest(secret))})
        })
        .collect();
    let file = dir.join("keys.json");
    std::fs::write(&file, json!({ "keys": entries }).to_string()).expect("key file");
    let host_args = vec!["--api-keys".to_string(), file.display().to_string()];
    Platform::start_with(Options { host_args, ..Options::default() }).await
}

async fn upload(platform: &Platform, key: &Key, name: &str, guest_name: &str) -> (StatusCode, Value) {
    let url = platform.url(&format!("/v1/components?name={name}"));
    let response = key.http.post(url).body(guest(guest_name)).send().await.expect("upload");
    (response.status(), response.json().await.expect("json"))
}

async fn call(key: Option<&Key>, method: reqwest::Method, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let client = key.map(|k| k.http.clone()).unwrap_or_default();
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn keys_and_roles_are_checked_on_every_interface() {
    let dir = tempfile::tempdir().expect("dir");
    let platform = platform_with_keys(
        dir.path(),
        &[
            ("admin", "acme", "admin", "edge_acme_admin"),
            ("submitter", "acme", "submit", "edge_acme_submit"),
            ("reader", "acme", "read", "edge_acme_read"),
        ],
    )
    .await;
    let (admin, submitter, reader) = (key("edge_acme_admin"), key("edge_acme_submit"), key("edge_acme_read"));
    let nobody = key("edge_not_a_key");

    // No key, or an unknown one: 401 everywhere, with a challenge.
    for path in ["/v1/jobs", "/v1/components", "/v1/executors", "/v1/session"] {
        let response = reqwest::get(platform.url(path)).await.expect("get");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (status, body) = call(Some(&nobody), reqwest::Method::GET, platform.url(path), None).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"), "{path}");
    }
    let ws_url = format!("{}/v1/ws", platform.base.replace("http://", "ws://"));
    let refused = tokio_tungstenite::connect_async(&ws_url).await.expect_err("a socket without a key");
    assert!(refused.to_string().contains("401"), "{refused}");
    // Health and metrics stay open for probes.
    assert_eq!(reqwest::get(platform.url("/healthz")).await.expect("healthz").status(), StatusCode::OK);

    // Roles: read < submit < admin.
    let (status, body) = upload(&platform, &submitter, "hello", "hello").await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, _) = upload(&platform, &admin, "hello", "hello").await;
    assert_eq!(status, StatusCode::CREATED);
    let job = json!({"component": "hello", "args": ["acme"]});
    let (status, body) = call(Some(&reader), reqwest::Method::POST, platform.url("/v1/jobs"), Some(job.clone())).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, record) =
        call(Some(&submitter), reqwest::Method::POST, platform.url("/v1/jobs?wait=30s"), Some(job)).await;
    assert_eq!((status, record["status"].as_str()), (StatusCode::OK, Some("succeeded")), "{record}");
    assert_eq!(record["tenant"], "acme");
    let id = record["id"].as_str().expect("id");
    let (status, _) = call(Some(&reader), reqwest::Method::GET, platform.url(&format!("/v1/jobs/{id}")), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(Some(&reader), reqwest::Method::DELETE, platform.url(&format!("/v1/jobs/{id}")), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // SSE with `?access_token=` (for clients that cannot set headers).
    let sse =
        reqwest::get(platform.url(&format!("/v1/jobs/{id}/events?access_token=edge_acme_read"))).await.expect("sse");
    assert_eq!(sse.status(), StatusCode::OK);
    assert!(sse.text().await.expect("events").contains("event: done"));

    // The UI's login: a cookie that then stands in for the header.
    let browser = reqwest::Client::new();
    let login =
        browser.post(platform.url("/v1/session")).json(&json!({"key": "edge_nope"})).send().await.expect("login");
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let login =
        browser.post(platform.url("/v1/session")).json(&json!({"key": reader.secret})).send().await.expect("login");
    assert_eq!(login.status(), StatusCode::OK);
    let set_cookie = login.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();
    let me: Value = browser
        .get(platform.url("/v1/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("whoami")
        .json()
        .await
        .expect("json");
    assert_eq!((me["tenant"].as_str(), me["role"].as_str()), (Some("acme"), Some("read")));
    let logout = browser.delete(platform.url("/v1/session")).header("cookie", &cookie).send().await.expect("logout");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(logout.headers()["set-cookie"].to_str().expect("cookie").contains("Max-Age=0"));

    // The NATS API takes the key as a header too.
    let client = platform.nats_client().await;
    let payload = bytes::Bytes::from(json!({"component": "hello"}).to_string());
    let reply = client.request("edge.api.jobs.submit", payload.clone()).await.expect("reply");
    let headers = reply.headers.expect("error headers");
    assert_eq!(headers.get("Nats-Service-Error-Code").map(|v| v.as_str()), Some("401"));
    let mut with_key = async_nats::HeaderMap::new();
    with_key.insert("Authorization", "Bearer edge_acme_submit");
    let reply = client.request_with_headers("edge.api.jobs.submit", with_key, payload).await.expect("reply");
    assert!(reply.headers.is_none_or(|h| h.get("Nats-Service-Error").is_none()));
    let accepted: Value = serde_json::from_slice(&reply.payload).expect("json");
    assert!(accepted["id"].is_string(), "{accepted}");
}

#[tokio::test]
async fn no_key_of_another_tenant_can_see_run_or_cancel_a_tenants_work() {
    let dir = tempfile::tempdir().expect("dir");
    let platform = platform_with_keys(
        dir.path(),
        &[("acme", "acme", "admin", "edge_acme"), ("globex", "globex", "admin", "edge_globex")],
    )
    .await;
    let (acme, globex) = (key("edge_acme"), key("edge_globex"));
    let (status, echo) = upload(&platform, &acme, "secret-echo", "echo").await;
    assert_eq!(status, StatusCode::CREATED);
    let digest = echo["digest"].as_str().expect("digest").to_owned();
    upload(&platform, &acme, "sleep-print", "sleep-print").await;
    // The same name in two tenants: two components.
    let (status, _) = upload(&platform, &globex, "sleep-print", "hello").await;
    assert_eq!(status, StatusCode::CREATED);

    // Globex sees none of acme's components and cannot run them by name or digest.
    let (_, list) = call(Some(&globex), reqwest::Method::GET, platform.url("/v1/components"), None).await;
    let names: Vec<&str> =
        list["components"].as_array().expect("list").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["sleep-print"]);
    let (status, _) = call(Some(&globex), reqwest::Method::GET, platform.url("/v1/components/secret-echo"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for component in ["secret-echo", digest.as_str()] {
        let job = json!({"component": component, "stdin": "x"});
        let (status, body) = call(Some(&globex), reqwest::Method::POST, platform.url("/v1/jobs"), Some(job)).await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "component_not_found"), "{component}");
    }
    // Acme can run its component by digest.
    let job = json!({"component": digest, "stdin": "mine"});
    let (status, record) = call(Some(&acme), reqwest::Method::POST, platform.url("/v1/jobs?wait=30s"), Some(job)).await;
    assert_eq!((status, record["stdout"]["text"].as_str()), (StatusCode::OK, Some("mine")), "{record}");

    // "sleep-print" means each tenant's own component.
    let (_, theirs) = call(
        Some(&globex),
        reqwest::Method::POST,
        platform.url("/v1/jobs?wait=30s"),
        Some(json!({"component": "sleep-print", "args": ["globex"]})),
    )
    .await;
    assert_eq!(theirs["stdout"]["text"], "Hello, globex!\n");

    // A running acme job: globex cannot see, follow, cancel or retry it, over REST or WS.
    let (status, accepted) = call(
        Some(&acme),
        reqwest::Method::POST,
        platform.url("/v1/jobs"),
        Some(json!({"component": "sleep-print", "args": ["20", "100"]})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = accepted["id"].as_str().expect("id").to_owned();
    let mut globex_socket = {
        let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "{}/v1/ws",
            platform.base.replace("http://", "ws://")
        ))
        .expect("request");
        request.headers_mut().insert("authorization", "Bearer edge_globex".parse().expect("header"));
        tokio_tungstenite::connect_async(request).await.expect("socket").0
    };
    send(&mut globex_socket, json!({"type": "subscribe", "all": true})).await;
    assert!(matches!(receive(&mut globex_socket).await, edge_wire::ServerMessage::Subscribed { .. }));
    for (method, path) in [
        (reqwest::Method::GET, format!("/v1/jobs/{id}")),
        (reqwest::Method::GET, format!("/v1/jobs/{id}/events")),
        (reqwest::Method::DELETE, format!("/v1/jobs/{id}")),
        (reqwest::Method::POST, format!("/v1/jobs/{id}/retry")),
        (reqwest::Method::POST, format!("/v1/jobs/{id}/webhook/redrive")),
    ] {
        let (status, body) = call(Some(&globex), method.clone(), platform.url(&path), None).await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "job_not_found"), "{method} {path}");
    }
    for message in [json!({"type": "subscribe", "job": id}), json!({"type": "cancel", "job": id})] {
        send(&mut globex_socket, message).await;
        match receive(&mut globex_socket).await {
            edge_wire::ServerMessage::Error { code, .. } => assert_eq!(code, "job_not_found"),
            other => panic!("expected job_not_found, got {other:?}"),
        }
    }
    let (_, jobs) = call(Some(&globex), reqwest::Method::GET, platform.url("/v1/jobs"), None).await;
    assert!(!jobs.to_string().contains(&id), "globex lists acme's job");
    let nats = platform.nats_client().await;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Authorization", "Bearer edge_globex");
    let reply = nats.request_with_headers("edge.api.jobs.get", headers, id.clone().into()).await.expect("reply");
    assert_eq!(reply.headers.expect("error").get("Nats-Service-Error-Code").map(|v| v.as_str()), Some("404"));

    // Acme's job runs to its end untouched, and globex's all-jobs feed never showed it.
    let (_, done) = call(Some(&acme), reqwest::Method::GET, platform.url(&format!("/v1/jobs/{id}")), None).await;
    assert_ne!(done["status"], "cancelled");
    let finished = async {
        loop {
            let (_, record) =
                call(Some(&acme), reqwest::Method::GET, platform.url(&format!("/v1/jobs/{id}")), None).await;
            if record["status"] == "succeeded" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), finished).await.expect("acme's job finished");
    // A globex job afterwards shows on globex's feed: everything before it would have too.
    let (_, own) = call(
        Some(&globex),
        reqwest::Method::POST,
        platform.url("/v1/jobs?wait=30s"),
        Some(json!({"component": "sleep-print", "args": ["late"]})),
    )
    .await;
    let own_id = own["id"].as_str().expect("id");
    loop {
        match tokio::time::timeout(Duration::from_secs(10), globex_socket.next()).await.expect("feed").expect("open") {
            Ok(Message::Text(text)) => {
                assert!(!text.contains(&id), "acme's job on globex's feed: {text}");
                if text.contains(own_id) && text.contains("\"done\"") {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("socket: {e}"),
        }
    }
    let _ = globex_socket.close(None).await;
}
