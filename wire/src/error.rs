use serde::{Deserialize, Serialize};

/// The body of every error answer: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorBody,
}

/// A machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable, snake_case: `invalid_component`, `not_found`, `payload_too_large`, ...
    pub code: String,
    /// What happened and, where possible, what to do about it.
    pub message: String,
}
