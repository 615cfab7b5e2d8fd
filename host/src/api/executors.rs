//! `GET /v1/executors`: the executors whose heartbeats are current.

use axum::Json;
use axum::extract::State;
use edge_wire::{ExecutorInfo, ExecutorList};
use futures::TryStreamExt as _;

use super::{ApiError, AppState};

pub async fn list(State(state): State<AppState>) -> Result<Json<ExecutorList>, ApiError> {
    let mut ids: Vec<String> = match state.executors.keys().await {
        Ok(keys) => keys.try_collect().await.map_err(ApiError::unavailable)?,
        Err(e) => return Err(ApiError::unavailable(e)),
    };
    ids.sort();
    let mut executors = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(value) = state.executors.get(&id).await.map_err(ApiError::unavailable)?
            && let Ok(info) = serde_json::from_slice::<ExecutorInfo>(&value)
        {
            executors.push(info);
        }
    }
    Ok(Json(ExecutorList { executors }))
}
