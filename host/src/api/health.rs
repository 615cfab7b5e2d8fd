//! `GET /healthz` and `GET /metrics`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::AppState;
use crate::nats::names;

/// How long a health check waits for JetStream.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 when this host can reach NATS and JetStream answers; 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let connection = state.dispatcher.client.connection_state();
    let connected = matches!(connection, async_nats::connection::State::Connected);
    let jetstream = connected
        && matches!(tokio::time::timeout(HEALTH_TIMEOUT, state.dispatcher.js.query_account()).await, Ok(Ok(_)));
    let status = if jetstream { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if jetstream { "ok" } else { "unavailable" },
        "nats": connection.to_string(),
        "jetstream": jetstream,
    });
    (status, Json(body))
}

/// Prometheus text. The queue gauges are read from JetStream at scrape time, so every
/// host reports the same platform-wide depth.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(Ok(mut stream)) =
        tokio::time::timeout(HEALTH_TIMEOUT, state.dispatcher.js.get_stream(names::JOBS_STREAM)).await
    {
        if let Ok(Ok(info)) =
            tokio::time::timeout(HEALTH_TIMEOUT, stream.consumer_info(names::EXECUTORS_CONSUMER)).await
        {
            metrics::gauge!("edge_jobs_queue_depth").set(info.num_pending as f64);
            metrics::gauge!("edge_jobs_in_flight").set(info.num_ack_pending as f64);
        } else if let Ok(Ok(info)) = tokio::time::timeout(HEALTH_TIMEOUT, stream.info()).await {
            // No executor has ever started: everything in the stream is waiting.
            metrics::gauge!("edge_jobs_queue_depth").set(info.state.messages as f64);
            metrics::gauge!("edge_jobs_in_flight").set(0.0);
        }
    }
    state.metrics.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
