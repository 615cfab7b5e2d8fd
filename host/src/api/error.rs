//! The one error type of the HTTP edge.

use axum::Json;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use edge_wire::{ErrorBody, ErrorResponse};

use crate::components::{InspectError, NameError, StoreError};
use crate::jobs::{FollowError, IdempotencyError, JobStoreError, SubmitError};

/// An error answer: a status, a stable code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    }

    /// NATS or another dependency failed. The details go to the log, not to the client.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the platform's message bus is unavailable; try again shortly",
        )
    }
}

impl ApiError {
    /// The same error as a WebSocket message.
    pub fn into_message(self) -> edge_wire::ServerMessage {
        edge_wire::ServerMessage::Error { code: self.code.to_owned(), message: self.message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorResponse { error: ErrorBody { code: self.code.to_owned(), message: self.message } };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read: the connection cannot carry another request.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<InspectError> for ApiError {
    fn from(e: InspectError) -> Self {
        Self::bad_request("invalid_component", e.to_string())
    }
}

impl From<NameError> for ApiError {
    fn from(e: NameError) -> Self {
        Self::bad_request("invalid_name", e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "component_not_found", e.to_string()),
            StoreError::Contended(_) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            StoreError::Unavailable(_) => Self::unavailable(e),
        }
    }
}

impl From<JobStoreError> for ApiError {
    fn from(e: JobStoreError) -> Self {
        Self::unavailable(e)
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        let message = e.to_string();
        match e {
            SubmitError::InvalidRequest(_) => Self::bad_request("invalid_request", message),
            SubmitError::InvalidName(_) => Self::bad_request("invalid_name", message),
            SubmitError::Limits(_) => Self::bad_request("invalid_limits", message),
            SubmitError::ComponentNotFound(_) => Self::new(StatusCode::NOT_FOUND, "component_not_found", message),
            SubmitError::UnsupportedKind { .. } => Self::bad_request("unsupported_kind", message),
            SubmitError::InvalidWebhook(_) => Self::bad_request("invalid_webhook", message),
            SubmitError::Idempotency(e) => match e {
                IdempotencyError::Invalid => Self::bad_request("invalid_idempotency_key", message),
                IdempotencyError::Reused(_) => {
                    Self::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", message)
                }
                IdempotencyError::InProgress(_) => Self::new(StatusCode::CONFLICT, "idempotency_in_progress", message),
                IdempotencyError::Unavailable(_) => Self::unavailable(message),
            },
            SubmitError::Unavailable(_) => Self::unavailable(message),
        }
    }
}

impl From<FollowError> for ApiError {
    fn from(e: FollowError) -> Self {
        match e {
            FollowError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "job_not_found", e.to_string()),
            FollowError::Unavailable(_) => Self::unavailable(e),
            FollowError::NotSent(_) => Self::bad_request("invalid_last_event_id", e.to_string()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", e.body_text())
            }
            status => Self::new(status, "invalid_body", e.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        Self::bad_request("invalid_query", e.body_text())
    }
}
