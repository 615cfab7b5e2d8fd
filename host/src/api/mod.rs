//! The HTTP API: thin axum handlers over [`AppState`]. Errors are one JSON shape,
//! `{"error": {"code", "message"}}`, built by [`ApiError`].

mod auth;
mod components;
mod error;
mod events;
mod executors;
mod functions;
mod health;
mod jobs;
mod openapi;
mod ui;
mod ws;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use crate::jobs::Dispatcher;

/// Everything the handlers need, shared: axum clones the state for every request, and
/// the NATS handles inside (each bucket with its stream's cached config) are far from free
/// to clone (a profile of a REST burst was a third malloc/free).
pub type AppState = std::sync::Arc<Shared>;

/// What [`AppState`] shares.
pub struct Shared {
    pub dispatcher: Dispatcher,
    pub functions: std::sync::Arc<crate::functions::Functions>,
    pub executors: async_nats::jetstream::kv::Store,
    /// The API keys this host accepts.
    pub keys: crate::auth::ApiKeys,
    /// Messages of jobs that ran out of deliveries, for retries.
    pub dead_letters: async_nats::jetstream::kv::Store,
    pub limits: ApiLimits,
    pub metrics: PrometheusHandle,
}

/// Request limits of the API.
#[derive(Debug, Clone, Copy)]
pub struct ApiLimits {
    /// Largest component upload, in bytes.
    pub max_component_bytes: usize,
    /// Largest JSON request body (a job request with its stdin), in bytes.
    pub max_request_bytes: usize,
    /// Longest `?wait=` a submission may ask for.
    pub max_wait: Duration,
    /// Messages a WebSocket client may fall behind before its events are dropped.
    pub ws_buffer_messages: usize,
    /// Largest request head (header names and values), in bytes.
    pub max_header_bytes: usize,
}

/// Where the web UI's files are.
pub fn ui_routes(dir: &std::path::Path) -> Router {
    ui::routes(dir)
}

/// Refuses requests whose headers together exceed the configured size. (hyper's own bound is
/// far larger and not configurable through `axum::serve`.)
async fn limit_headers(
    axum::Extension(state): axum::Extension<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let size: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    let max = state.limits.max_header_bytes;
    if size > max {
        let message = format!("the request headers take {size} bytes; this host takes at most {max}");
        return ApiError::new(axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", message)
            .into_response();
    }
    next.run(request).await
}

/// Requests that need NATS get a 503 at once while the connection is down, instead of
/// waiting out a request timeout; the client reconnects by itself.
async fn require_nats(
    axum::Extension(state): axum::Extension<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match state.dispatcher.client.connection_state() {
        async_nats::connection::State::Connected => next.run(request).await,
        other => ApiError::unavailable(format!("NATS connection is {other}")).into_response(),
    }
}

/// The routes of the host.
pub fn router(state: AppState) -> Router {
    // The middlewares read the state from this extension, so `routes` needs no state.
    routes(&state.limits).layer(axum::Extension(state.clone())).with_state(state)
}

/// The routes before the state is given, so that a test can list them without NATS.
fn routes(limits: &ApiLimits) -> Router<AppState> {
    let components = Router::new()
        .route("/v1/components", post(components::upload).get(components::list))
        // Uploads enforce their own, larger limit while streaming the body.
        .layer(DefaultBodyLimit::disable())
        .route("/v1/components/{name}", get(components::describe))
        .route("/v1/components/{name}/config", axum::routing::put(functions::configure));
    let jobs = Router::new()
        .route("/v1/jobs", post(jobs::submit).get(jobs::list))
        .route("/v1/jobs/{id}", get(jobs::get).delete(jobs::cancel))
        .route("/v1/jobs/{id}/events", get(events::job_events))
        .route("/v1/jobs/{id}/webhook/redrive", post(jobs::redrive_webhook))
        .route("/v1/jobs/{id}/retry", post(jobs::retry))
        .layer(DefaultBodyLimit::max(limits.max_request_bytes));
    // Function bodies stream through to the guest; the guest reads what it wants.
    let functions =
        Router::new().route("/fn/{*rest}", axum::routing::any(functions::call)).layer(DefaultBodyLimit::disable());
    let bus = Router::new()
        .merge(components)
        .merge(jobs)
        .route("/v1/ws", get(ws::upgrade))
        .route("/v1/executors", get(executors::list))
        .route_layer(axum::middleware::from_fn(require_nats))
        .route("/v1/session", get(auth::whoami))
        .route_layer(axum::middleware::from_fn(auth::authenticate))
        .route("/v1/session", axum::routing::post(auth::login).delete(auth::logout));
    Router::new()
        .merge(bus)
        .route("/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/v1", get(|| async { ApiError::not_found("no such route") }))
        .route("/v1/{*rest}", axum::routing::any(|| async { ApiError::not_found("no such route") }))
        .layer(TraceLayer::new_for_http())
        // After the trace layer: function traffic is measured by its own metrics instead.
        .merge(functions)
        .layer(axum::middleware::from_fn(limit_headers))
}
