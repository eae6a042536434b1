//! Headers and ids every response carries.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;
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

/// How long a response may take before it is logged as slow.
pub const SLOW_RESPONSE: Duration = Duration::from_secs(1);

/// Logs each response inside its request's span (so with method and route,
/// never the URL): at debug, or at info when it took [`SLOW_RESPONSE`] or
/// more, so an operator sees which routes a stall held up without logging
/// every request.
pub fn log_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    if latency >= SLOW_RESPONSE {
        tracing::info!(status, ms, "a request took long");
    } else {
        tracing::debug!(status, ms, "answered");
    }
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log lines written at info and above, as text.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn slow_responses_are_logged_with_their_route_and_fast_ones_are_not() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", method = %"GET", route = %"/referrals/{id}");
            let _entered = span.enter();
            let response = Response::new(());
            log_response(&response, Duration::from_millis(999), &span);
            log_response(&response, Duration::from_millis(1_250), &span);
        });
        let text = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
        let logged: Vec<&str> = text.lines().collect();
        assert_eq!(logged.len(), 1, "{text}");
        assert!(logged[0].contains("a request took long"), "{text}");
        assert!(logged[0].contains("route=/referrals/{id}"), "{text}");
        assert!(logged[0].contains("ms=1250"), "{text}");
        assert!(logged[0].contains("status=200"), "{text}");
    }
}
