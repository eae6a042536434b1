//! One application error type, mapped to HTTP with stable codes. Under
//! `/api` it becomes `{"error": {"code": ..., "message": ...}}`; elsewhere a
//! friendly HTML page (see `errors`). Internals never reach the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_domain::text::ValidationErrors;
use convene_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("sign in required")]
    Unauthorised,
    #[error("not allowed")]
    Forbidden,
    #[error("form expired")]
    CsrfRejected,
    #[error("too many attempts")]
    TooManyAttempts { retry_after_seconds: i64 },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// Something broke on our side; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the client is told about an error: stable code, status and a message
/// fit for a person to read. Carried in response extensions so the error
/// renderer can shape it as HTML or JSON.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    pub fn report(&self) -> ErrorReport {
        let (status, code, message) = match self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Page not found".to_string(),
            ),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message.clone()),
            Self::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                errors.to_string(),
            ),
            Self::Unauthorised => (
                StatusCode::UNAUTHORIZED,
                "unauthorised",
                "Sign in, or send a valid API token, to use this".to_string(),
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your account is not allowed to do this. Ask your organisation's administrator if you need to".to_string(),
            ),
            Self::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "csrf_rejected",
                "This form has expired or did not come from this service. Go back, reload the page and try again".to_string(),
            ),
            Self::TooManyAttempts { retry_after_seconds } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "There have been too many attempts. Wait {} minutes and try again",
                    (retry_after_seconds + 59) / 60
                ),
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request is larger than this service accepts".to_string(),
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service is temporarily unavailable. Try again in a few minutes.".to_string(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Sorry, there is a problem with the service. Try again later.".to_string(),
            ),
        };
        ErrorReport {
            status,
            code,
            message,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Refused(reason) => Self::BadRequest(reason),
            StoreError::Connect(_) => Self::Unavailable,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<convene_search::SearchError> for AppError {
    fn from(error: convene_search::SearchError) -> Self {
        match error {
            convene_search::SearchError::Store(store) => store.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        Self::Internal(format!("template: {error}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let report = self.report();
        let mut response = report.status.into_response();
        if let Self::TooManyAttempts {
            retry_after_seconds,
        } = &self
            && let Ok(value) =
                axum::http::HeaderValue::from_str(&retry_after_seconds.max(&1).to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response.extensions_mut().insert(report);
        response
    }
}
