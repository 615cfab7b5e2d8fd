use serde::{Deserialize, Serialize};

/// Where to POST a job's final record when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// `http://` or `https://` URL.
    pub url: String,
    /// Key of the `Edge-Signature` HMAC. Stored apart from the record; never shown again.
    pub secret: String,
}

/// Where a webhook delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookState {
    /// Waiting for the job to end, or for its first attempt.
    Pending,
    /// An attempt failed; another follows after a backoff.
    Retrying,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; `POST /v1/jobs/{id}/webhook/redrive` tries again.
    Failed,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    /// RFC 3339 time the attempt started.
    pub at: String,
    /// The receiver's HTTP status, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// What went wrong, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: u64,
}

/// A job's webhook, as its record shows it (without the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookStatus {
    /// Where it goes.
    pub url: String,
    /// The `Edge-Delivery` header: the same on every retry of one delivery.
    pub delivery_id: String,
    /// Where it is.
    pub state: WebhookState,
    /// Every attempt, oldest first.
    #[serde(default)]
    pub attempts: Vec<WebhookAttempt>,
}
