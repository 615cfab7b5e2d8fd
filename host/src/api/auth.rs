//! Who is calling, on every API request: `Authorization: Bearer <key>`, the `edge_key`
//! cookie the web UI's login sets (a browser cannot put headers on an EventSource or a
//! WebSocket; the cookie is `HttpOnly` and `SameSite=Strict`), or `?access_token=<key>` for
//! other clients in that position. The route decides the role it needs.

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::auth::{Caller, Role};

/// The cookie the UI's login sets.
const COOKIE: &str = "edge_key";

/// The role each route needs; everything not listed only reads.
fn required_role(method: &Method, route: &str) -> Role {
    match (method, route) {
        (&Method::POST, "/v1/components") | (&Method::PUT, "/v1/components/{name}/config") => Role::Admin,
        (&Method::POST, "/v1/jobs" | "/v1/jobs/{id}/retry" | "/v1/jobs/{id}/webhook/redrive")
        | (&Method::DELETE, "/v1/jobs/{id}") => Role::Submit,
        _ => Role::Read,
    }
}

fn presented_key(request: &Request) -> Option<String> {
    let headers = request.headers();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        return value.strip_prefix("Bearer ").map(|key| key.trim().to_owned());
    }
    if let Some(key) = cookie(headers) {
        return Some(key);
    }
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('=').map(str::to_owned))
}

fn unauthorized() -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "give an API key: `Authorization: Bearer <key>` (edge dev prints one)",
    )
    .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    response
}

/// Checks the caller's key and role, and hands the [`Caller`] to the handler.
pub async fn authenticate(
    axum::Extension(state): axum::Extension<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(caller) = state.keys.caller(presented_key(&request).as_deref()) else { return unauthorized() };
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let needed = required_role(request.method(), &route);
    if !caller.may(needed) {
        let message = format!("a `{}` key cannot do this; it needs `{}`", caller.role.as_str(), needed.as_str());
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[derive(Deserialize)]
pub struct Login {
    key: String,
}

/// `POST /v1/session`: checks a key and keeps it in the UI's cookie.
pub async fn login(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let Ok(Login { key }) = serde_json::from_slice::<Login>(&body) else {
        return ApiError::bad_request("invalid_json", "send {\"key\": \"<API key>\"}").into_response();
    };
    // Keys are `edge_` and hex: nothing that could break out of the cookie.
    let plain = key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let Some(caller) = state.keys.caller(Some(&key)).filter(|_| plain) else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "this host does not know that API key")
            .into_response();
    };
    let cookie = format!("{COOKIE}={key}; Path=/; HttpOnly; SameSite=Strict");
    ([(header::SET_COOKIE, cookie)], Json(caller)).into_response()
}

/// `GET /v1/session`: who the presented key is.
pub async fn whoami(axum::Extension(caller): axum::Extension<Caller>) -> Json<Caller> {
    Json(caller)
}

/// `DELETE /v1/session`: forgets the UI's cookie.
pub async fn logout() -> Response {
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_more_than_reads() {
        assert_eq!(required_role(&Method::GET, "/v1/jobs"), Role::Read);
        assert_eq!(required_role(&Method::POST, "/v1/jobs"), Role::Submit);
        assert_eq!(required_role(&Method::DELETE, "/v1/jobs/{id}"), Role::Submit);
        assert_eq!(required_role(&Method::POST, "/v1/components"), Role::Admin);
        assert_eq!(required_role(&Method::PUT, "/v1/components/{name}/config"), Role::Admin);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; edge_key=edge_abc; b=2".parse().expect("header"));
        assert_eq!(cookie(&headers).as_deref(), Some("edge_abc"));
    }
}
