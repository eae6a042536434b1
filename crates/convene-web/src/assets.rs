//! The stylesheet and scripts built into the binary by `build.rs`.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::AppError;
use crate::state::AppState;

/// Fingerprint of the built assets; part of every asset URL.
pub const ASSET_VERSION: &str = include_str!(concat!(env!("OUT_DIR"), "/asset_version.txt"));

const CONVENE_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/convene.css"));
const GOVUK_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/govuk-frontend.min.js"));
const INIT_JS: &[u8] = include_bytes!("../assets/convene-init.js");
const FAVICON: &[u8] = include_bytes!("../assets/favicon.svg");

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{version}/{file}", get(asset))
}

async fn asset(Path((version, file)): Path<(String, String)>) -> Result<Response, AppError> {
    let (body, content_type) = match file.as_str() {
        "convene.css" => (CONVENE_CSS, "text/css; charset=utf-8"),
        "govuk-frontend.min.js" => (GOVUK_JS, "text/javascript; charset=utf-8"),
        "convene-init.js" => (INIT_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return Err(AppError::NotFound),
    };
    // A page from an older build may still ask for its assets: serve the
    // current ones, but do not let them be cached under the old name.
    let cache = if version == ASSET_VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}
