//! The one mapping of errors to HTTP: status from the service error, body `{code, message,
//! fields}`. Internal errors are logged with their cause and answered with a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fazhi_domain::FieldError;
use fazhi_service::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code clients switch on: `invalid_input`, `stale_version`, `wrong_state`, …
    pub code: String,
    /// What went wrong, in Chinese, for people.
    pub message: String,
    /// For `invalid_input`: each bad field with its label and reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub label: String,
    pub reason: String,
}

impl From<&FieldError> for FieldErrorBody {
    fn from(e: &FieldError) -> Self {
        Self { field: e.field.clone(), label: e.label.clone(), reason: e.reason.clone() }
    }
}

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, body: ErrorBody { code: code.into(), message: message.into(), fields: vec![] } }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if let Some(cause) = e.cause_chain() {
            tracing::error!(%cause, "internal error");
        }
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status,
            body: ErrorBody {
                code: e.code().into(),
                message: e.to_string(),
                fields: e.fields().iter().map(FieldErrorBody::from).collect(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
