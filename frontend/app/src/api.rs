//! The host's API, as plain async functions returning the shared wire types.

use edge_wire::{ComponentInfo, ErrorResponse, ExecutorList, JobList};
use gloo_net::http::{Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Deserialize)]
struct ComponentList {
    components: Vec<ComponentInfo>,
}

/// An answer's body, or the server's error in words.
async fn json<T: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> Result<T, String> {
    let response = response.map_err(|e| format!("the host cannot be reached: {e}"))?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| format!("unexpected answer: {e}"));
    }
    let status = response.status();
    match response.json::<ErrorResponse>().await {
        Ok(e) => Err(format!("{} ({})", e.error.message, e.error.code)),
        Err(_) => Err(format!("the host answered {status}")),
    }
}

pub async fn components() -> Result<Vec<ComponentInfo>, String> {
    json::<ComponentList>(Request::get("/v1/components").send().await).await.map(|l| l.components)
}

pub async fn upload(name: &str, bytes: Vec<u8>) -> Result<ComponentInfo, String> {
    let body = js_sys::Uint8Array::from(bytes.as_slice());
    let request = Request::post(&format!("/v1/components?name={name}"))
        .body(body)
        .map_err(|e| format!("cannot build the request: {e}"))?;
    json(request.send().await).await
}

pub async fn jobs(status: Option<String>) -> Result<JobList, String> {
    let url = match status {
        Some(status) => format!("/v1/jobs?limit=100&status={status}"),
        None => "/v1/jobs?limit=100".to_owned(),
    };
    json(Request::get(&url).send().await).await
}

pub async fn executors() -> Result<ExecutorList, String> {
    json(Request::get("/v1/executors").send().await).await
}

/// `ws://` or `wss://` URL of the host's WebSocket.
pub fn ws_url() -> String {
    let location = web_sys_location();
    let scheme = if location.0 == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{}/v1/ws", location.1)
}

fn web_sys_location() -> (String, String) {
    let location = leptos::prelude::window().location();
    (location.protocol().unwrap_or_default(), location.host().unwrap_or_default())
}

/// Shows control characters escaped so output can never drive the page or a terminal.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}
