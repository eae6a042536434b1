//! Protection against cross-site request forgery on every state-changing
//! page request, in one place so no route can forget it.
//!
//! A signed-in visitor's forms carry their session's secret token
//! (synchroniser pattern); anonymous forms (sign in, password reset) carry a
//! token that must match a cookie (double submit). Requests whose `Origin`
//! or `Sec-Fetch-Site` shows they came from another site are refused too.
//! `/api` is exempt: it accepts only bearer tokens, never cookies.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use convene_domain::identity::tokens::{constant_time_eq, random_secret};

use crate::error::AppError;
use crate::identity::cookies;
use crate::identity::visitor::{Visitor, is_api};
use crate::state::{AppState, WebSettings};

/// The token this response's forms must send back as `csrf_token`.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

pub const FIELD: &str = "csrf_token";

pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_api(request.uri().path()) || crate::messaging::is_callback(request.uri().path()) {
        return next.run(request).await;
    }
    let settings = &state.settings;
    let session_token = request
        .extensions()
        .get::<Visitor>()
        .and_then(Visitor::session)
        .map(|s| s.csrf_token.clone());
    let cookie_token =
        cookies::read(request.headers(), settings, cookies::CSRF).filter(|t| t.len() >= 32);
    let (expected, new_cookie) = match (session_token, cookie_token) {
        (Some(token), _) => (token, None),
        (None, Some(token)) => (token, None),
        (None, None) => match random_secret(32) {
            Ok(token) => (token.clone(), Some(token)),
            Err(_) => {
                return AppError::Internal("no randomness for a CSRF token".into()).into_response();
            }
        },
    };

    let mut request = request;
    if !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        if !same_site(&request, settings) {
            return AppError::CsrfRejected.into_response();
        }
        let (parts, body) = request.into_parts();
        let bytes = match to_bytes(body, settings.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(_) => return AppError::PayloadTooLarge.into_response(),
        };
        let submitted = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| {
                fields
                    .into_iter()
                    .find(|(name, _)| name == FIELD)
                    .map(|(_, value)| value)
            });
        if !submitted.is_some_and(|value| constant_time_eq(value.as_bytes(), expected.as_bytes())) {
            return AppError::CsrfRejected.into_response();
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(CsrfToken(expected));
    let mut response = next.run(request).await;
    if let Some(token) = new_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(settings, cookies::CSRF, Some(&token)),
        );
    }
    response
}

/// False when the browser says the request came from another site.
fn same_site(request: &Request, settings: &WebSettings) -> bool {
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = fetch_site
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        // Browsers send `null` for privacy-sensitive requests (and from
        // sandboxed frames): trust it only when Sec-Fetch-Site vouches.
        Some("null") => fetch_site.is_some(),
        Some(origin) => {
            let ours = settings.base_url.origin().ascii_serialization();
            let host_origin = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|host| format!("{}://{host}", settings.base_url.scheme()));
            origin == ours || host_origin.as_deref() == Some(origin)
        }
    }
}
