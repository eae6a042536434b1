//! Turning errors into pages: JSON under `/api`, HTML elsewhere. Every error
//! response passes through [`render_errors`], whether it came from a handler
//! ([`AppError`]), from axum (a rejected extractor, a wrong method) or from a
//! panic.

use std::any::Any;

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::error::{AppError, ErrorReport};
use crate::page::Page;
use crate::state::AppState;

/// The longest rejection text from axum we pass on to a client.
const MAX_REJECTION_BYTES: usize = 2048;

pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    AppError::Internal(format!("handler panicked: {detail}")).into_response()
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    page: Page,
    status: u16,
    title: String,
    message: String,
}

pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Machine clients (the JSON API and the ORUK API) get JSON errors.
    let path = request.uri().path();
    let is_api = path == "/api"
        || path.starts_with("/api/")
        || path == "/oruk"
        || path.starts_with("/oruk/");
    let page = Page::from_extensions(request.extensions(), &state);
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if response.extensions().get::<ErrorReport>().is_none() && answers_for_itself(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let report = match parts.extensions.remove::<ErrorReport>() {
        Some(report) => report,
        None => report_for(status, body).await,
    };
    let rendered = if is_api {
        Json(json!({ "error": { "code": report.code, "message": report.message } })).into_response()
    } else {
        html_page(page, &report)
    };
    let (rendered_parts, rendered_body) = rendered.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(content_type) = rendered_parts.headers.get(header::CONTENT_TYPE) {
        parts
            .headers
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    parts.status = report.status;
    Response::from_parts(parts, rendered_body)
}

fn html_page(page: Page, report: &ErrorReport) -> Response {
    let title = match report.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::METHOD_NOT_ALLOWED => "This page cannot do that",
        StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        s if s.is_server_error() => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    };
    let template = ErrorPage {
        page,
        status: report.status.as_u16(),
        title: title.to_string(),
        message: report.message.clone(),
    };
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "error page did not render");
            let mut response = Response::new(Body::from(title));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
    }
}

/// A handler that answers an error with its own JSON or HTML (e.g.
/// `/readyz`'s 503) meant exactly that; only bare and plain-text answers
/// (axum's rejections) are dressed as error pages.
fn answers_for_itself(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        })
}

/// Describes an error response that did not come from [`AppError`]: axum's
/// own rejections carry a useful plain-text reason for 4xx; 5xx bodies are
/// never shown.
async fn report_for(status: StatusCode, body: Body) -> ErrorReport {
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => return AppError::Unavailable.report(),
        s if s.is_server_error() => {
            let mut report = AppError::Internal(String::new()).report();
            report.status = s;
            return report;
        }
        _ => "bad_request",
    };
    let text = axum::body::to_bytes(body, MAX_REJECTION_BYTES)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty());
    let message = text.unwrap_or_else(|| match status {
        StatusCode::NOT_FOUND => "Page not found".to_string(),
        StatusCode::METHOD_NOT_ALLOWED => {
            "This address does not accept that kind of request".to_string()
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "The request is larger than this service accepts".to_string()
        }
        _ => "The request could not be understood".to_string(),
    });
    ErrorReport {
        status,
        code,
        message,
    }
}
