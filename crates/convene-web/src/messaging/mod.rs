//! Messages on the web: coordinators' templates (with a preview), the
//! administrators' outbox page (with sending again), GOV.UK Notify's
//! callbacks (delivery receipts and replies such as STOP), and the
//! Prometheus counters.

mod callbacks;
mod metrics;
mod outbox;
mod templates;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messaging/templates", get(templates::list))
        .route(
            "/messaging/templates/{kind}/{language}",
            get(templates::edit).post(templates::save),
        )
        .route("/messaging/outbox", get(outbox::show))
        .route("/messaging/outbox/{id}/retry", post(outbox::retry))
        .route("/callbacks/notify/status", post(callbacks::status))
        .route("/callbacks/notify/inbound", post(callbacks::inbound))
        .route("/metrics", get(metrics::show))
}

/// Callbacks from providers carry their own bearer secret and no cookie,
/// so they are exempt from the CSRF check.
pub fn is_callback(path: &str) -> bool {
    path.starts_with("/callbacks/")
}
