//! Convene's web layer: HTML pages, the JSON API (under `/api`) and, later,
//! the ORUK API (under `/oruk`). Handlers call domain rules and store
//! functions; they never write SQL.

pub mod api;
mod assets;
mod audit;
mod client;
mod csrf;
mod directory;
pub mod error;
mod errors;
mod forms;
mod health;
mod home;
mod identity;
pub mod mail;
mod messaging;
mod oruk;
mod page;
mod rate_limit;
mod referrals;
mod security;
mod state;

use axum::Router;
use axum::middleware;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use rate_limit::PublicLimit;
pub use state::{AppState, Secret, WebSettings};

/// Every route of the application, without the layers that wrap them.
/// Tests may merge extra routes before calling [`with_layers`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(directory::routes())
        .merge(referrals::routes())
        .merge(messaging::routes())
        .merge(identity::routes())
        .merge(audit::routes())
        .merge(api::routes())
        .merge(oruk::routes())
        .merge(health::routes())
        .merge(assets::routes())
        .fallback(errors::not_found)
}

/// Wraps routes in the layers every response passes through, innermost
/// first: panics become a generic 500; state-changing page requests must
/// carry their CSRF token; the visitor is resolved from their session or API
/// token, and their address from the connection (or a trusted proxy); bodies
/// are limited; errors become HTML or JSON pages; security headers go on
/// everything; and each request gets an id and a log span.
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    let body_limit = state.settings.max_body_bytes;
    routes
        .layer(CatchPanicLayer::custom(errors::panic_response))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::visitor::resolve_visitor,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            client::client_address,
        ))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            errors::render_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(security::request_span)
                .on_response(security::log_response),
        )
        .layer(middleware::from_fn(security::request_id))
        .with_state(state)
}

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    with_layers(routes(), state)
}
