//! Headers and ids every response carries.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tracing::Span;

use crate::state::AppState;

/// The nonce that lets this response's own inline script run under the CSP.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// The id of one request, in logs and in the `x-request-id` header.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request a fresh id. An id sent by the client is replaced, so
/// nobody can write chosen text into our logs through it.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(value) = HeaderValue::from_str(&id) {
        request
            .headers_mut()
            .insert(X_REQUEST_ID.clone(), value.clone());
        request.extensions_mut().insert(RequestId(id));
        let mut response = next.run(request).await;
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
        response
    } else {
        next.run(request).await
    }
}

/// The log span of a request: its id, method and route pattern. Never the
/// full URL, whose query may hold what someone searched for.
pub fn request_span(request: &Request) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.as_str())
        .unwrap_or("-");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    tracing::info_span!("request", id = %id, method = %request.method(), route = %route)
}

/// Adds the security headers to every response and hands the page a fresh
/// CSP nonce.
pub async fn headers(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(nonce) = new_nonce() else {
        // Without randomness no page can be served safely.
        tracing::error!("the operating system's random number generator failed");
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Our own pages may see where a request came from (so browsers send a
    // real Origin on form posts); no other site ever sees our URLs.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), payment=(), geolocation=(self)"),
    );
    if state.settings.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    // Pages may hold personal data: nothing is cached unless a route says so
    // (the fingerprinted assets do).
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn new_nonce() -> Option<String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).ok()?;
    Some(STANDARD.encode(bytes))
}
