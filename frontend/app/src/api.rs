//! The host's API, as plain async functions returning the shared wire types.

use edge_wire::{ComponentInfo, ErrorResponse, ExecutorList, JobList};
use gloo_net::http::{Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Deserialize)]
struct ComponentList {
    components: Vec<ComponentInfo>,
}

/// Who the UI is logged in as (`GET /v1/session`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Caller {
    pub key: String,
    pub tenant: String,
    pub role: String,
}

/// The session of this browser: `None` when the host wants a key first.
pub async fn session() -> Result<Option<Caller>, String> {
    let response = Request::get("/v1/session").send().await;
    if matches!(&response, Ok(r) if r.status() == 401) {
        return Ok(None);
    }
    json(response).await.map(Some)
}

/// Logs in with an API key: the host keeps it in an `HttpOnly` cookie for this browser.
pub async fn login(key: &str) -> Result<Caller, String> {
    let body = serde_json::json!({ "key": key.trim() }).to_string();
    let request = Request::post("/v1/session").header("content-type", "application/json").body(body);
    json(request.map_err(|e| e.to_string())?.send().await).await
}

/// Forgets the key.
pub async fn logout() {
    let _ = Request::delete("/v1/session").send().await;
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

/// Uploads `file` as `name`, calling `progress` with the fraction sent (0.0 to 1.0).
/// XMLHttpRequest rather than fetch: only it reports upload progress.
pub async fn upload_with_progress(
    name: &str,
    file: web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> Result<ComponentInfo, String> {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::closure::Closure;

    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| "cannot create a request".to_string())?;
    xhr.open("POST", &format!("/v1/components?name={name}")).map_err(|_| "cannot open the request".to_string())?;
    let on_progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
        if ev.length_computable() && ev.total() > 0.0 {
            progress(ev.loaded() / ev.total());
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let (done_tx, done_rx) = futures::channel::oneshot::channel::<()>();
    let done_tx = std::cell::RefCell::new(Some(done_tx));
    let on_end = Closure::<dyn Fn()>::new(move || {
        if let Some(tx) = done_tx.borrow_mut().take() {
            let _ = tx.send(());
        }
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    xhr.send_with_opt_blob(Some(&file)).map_err(|_| "cannot send the file".to_string())?;
    let _ = done_rx.await;
    drop((on_progress, on_end));

    let status = xhr.status().unwrap_or(0);
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    if status == 0 {
        return Err("the host cannot be reached".into());
    }
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).map_err(|e| format!("unexpected answer: {e}"));
    }
    match serde_json::from_str::<ErrorResponse>(&text) {
        Ok(e) => Err(format!("{} ({})", e.error.message, e.error.code)),
        Err(_) => Err(format!("the host answered {status}")),
    }
}

pub async fn job(id: &str) -> Result<edge_wire::JobRecord, String> {
    json(Request::get(&format!("/v1/jobs/{id}")).send().await).await
}
