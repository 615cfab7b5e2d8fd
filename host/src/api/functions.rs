//! `ANY /fn/{name}/{*path}`: edge functions, and `PUT /v1/components/{name}/config`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use edge_wire::{ComponentConfig, ComponentInfo};

use super::{ApiError, AppState};
use crate::components::validate_name;
use crate::functions::CallError;
use crate::runtime::ServeError;

/// Most outbound hosts one component may list.
const MAX_OUTBOUND_HOSTS: usize = 64;

/// Serves a request with the function named by the first path segment after `/fn/`. The
/// function sees the rest of the path (`/` if none) and the query.
pub async fn call(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path().strip_prefix("/fn/").unwrap_or_default().to_owned();
    let (target, rest) = match path.split_once('/') {
        Some((target, rest)) => (target.to_owned(), format!("/{rest}")),
        None => (path.clone(), "/".to_owned()),
    };
    let name = target.split('@').next().unwrap_or_default();
    let (tenant, name) = name.split_once('.').unwrap_or((crate::auth::DEFAULT_TENANT, name));
    if let Err(e) = crate::auth::validate_tenant(tenant) {
        return ApiError::bad_request("invalid_name", e.to_string()).into_response();
    }
    if let Err(e) = validate_name(name) {
        return ApiError::from(e).into_response();
    }
    let path_and_query = match parts.uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest,
    };
    parts.uri = match path_and_query.parse::<Uri>() {
        Ok(uri) => uri,
        Err(e) => return ApiError::bad_request("invalid_path", e.to_string()).into_response(),
    };
    let request = hyper::Request::from_parts(parts, body);
    match state.functions.call(&target, request).await {
        Ok(response) => response.map(Body::new),
        Err(e) => call_error(&target, e).into_response(),
    }
}

fn call_error(target: &str, e: CallError) -> ApiError {
    let message = e.to_string();
    match e {
        CallError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "function_not_found", message),
        CallError::NotHttp(..) => ApiError::bad_request("not_an_http_component", message),
        CallError::InvalidName(_) => ApiError::bad_request("invalid_name", message),
        CallError::Serve(ServeError::Timeout(_)) => {
            ApiError::new(StatusCode::GATEWAY_TIMEOUT, "function_timeout", message)
        }
        CallError::Serve(ServeError::Failed(_)) => {
            tracing::warn!(function = target, error = %message, "function failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "function_failed", message)
        }
        CallError::Unavailable(_) => ApiError::unavailable(message),
    }
}

/// Replaces a component's settings (today: its outbound allow-list).
pub async fn configure(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    Path(name): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ComponentInfo>, ApiError> {
    validate_name(&name)?;
    // Not serde_json::from_slice: that also reads a struct from an array of its fields.
    let config: ComponentConfig = edge_wire::from_json(&body?)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not a component config: {e}")))?;
    if config.allowed_outbound_hosts.len() > MAX_OUTBOUND_HOSTS {
        return Err(ApiError::bad_request("invalid_config", format!("at most {MAX_OUTBOUND_HOSTS} outbound hosts")));
    }
    for host in &config.allowed_outbound_hosts {
        let valid = !host.is_empty() && host.parse::<axum::http::uri::Authority>().is_ok_and(|a| a.as_str() == host);
        if !valid {
            return Err(ApiError::bad_request(
                "invalid_config",
                format!("{host:?} is not a host or host:port (no scheme, no path)"),
            ));
        }
    }
    Ok(Json(state.dispatcher.components.configure(&caller.tenant, &name, config).await?))
}
