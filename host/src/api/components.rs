//! `POST /v1/components?name=N`, `GET /v1/components`, `GET /v1/components/{name}`.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::auth::Caller;
use crate::components::{inspect, validate_name};
use edge_wire::ComponentInfo;

#[derive(Deserialize)]
pub struct UploadQuery {
    name: Option<String>,
}

/// Stores the body as a new version of `name`: 201, or 200 when the bytes are unchanged.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<ComponentInfo>), ApiError> {
    let limit = state.limits.max_component_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::payload_too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let e = e.into_inner();
        if e.is::<http_body_util::LengthLimitError>() {
            ApiError::payload_too_large(limit)
        } else {
            ApiError::bad_request("invalid_body", format!("cannot read the body: {e}"))
        }
    })?;
    // Checked after the body is read: answering mid-upload cuts the client off.
    let Query(query) = query?;
    let name = query.name.ok_or_else(|| {
        ApiError::bad_request("invalid_name", "give the component a name: POST /v1/components?name=NAME")
    })?;
    validate_name(&name)?;
    let kind = inspect(&bytes)?;
    let (info, created) = state.dispatcher.components.upload(&caller.tenant, &name, bytes, kind).await?;
    tracing::info!(tenant = %caller.tenant, name = %info.name, digest = %info.digest, version = info.version, created, "component uploaded");
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(info)))
}

#[derive(Serialize)]
pub struct ComponentList {
    components: Vec<ComponentInfo>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ComponentList>, ApiError> {
    Ok(Json(ComponentList { components: state.dispatcher.components.list(&caller.tenant).await? }))
}

pub async fn describe(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<ComponentInfo>, ApiError> {
    validate_name(&name)?;
    Ok(Json(state.dispatcher.components.describe(&caller.tenant, &name).await?))
}
