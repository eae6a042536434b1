//! Prometheus counters for messages: queued, sent, delivered and failed,
//! and how many of each status the outbox holds now. Read from the
//! database, so every instance reports the same figures. Scraped with the
//! configured bearer token or, without one, only from this machine.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use convene_store::messaging::outbox;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    address: ClientAddress,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let allowed = match &state.settings.metrics_token {
        Some(token) => token.matches_bearer(
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        ),
        None => address.0.is_some_and(|ip| ip.is_loopback()),
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    let counts = outbox::counts(state.store.conn()).await?;
    let count = |wanted: &[&str]| -> u64 {
        counts
            .iter()
            .filter(|(status, _)| wanted.contains(status))
            .map(|(_, n)| n)
            .sum()
    };
    let mut registry = Registry::default();
    let counters = [
        (
            "convene_messages_queued",
            "Messages ever queued",
            count(&outbox::STATUSES),
        ),
        (
            "convene_messages_sent",
            "Messages a provider accepted",
            count(&["sent", "delivered", "undelivered"]),
        ),
        (
            "convene_messages_delivered",
            "Messages the provider reported delivered",
            count(&["delivered"]),
        ),
        (
            "convene_messages_failed",
            "Messages given up, or reported undelivered",
            count(&["failed", "undelivered"]),
        ),
    ];
    for (name, help, value) in counters {
        let counter: Counter = Counter::default();
        counter.inc_by(value);
        registry.register(name, help, counter);
    }
    let now: Family<Vec<(String, String)>, Gauge> = Family::default();
    for (status, n) in &counts {
        now.get_or_create(&vec![("status".to_string(), status.to_string())])
            .set(i64::try_from(*n).unwrap_or(i64::MAX));
    }
    registry.register(
        "convene_outbox_messages",
        "Messages in the outbox by status",
        now,
    );
    let mut text = String::new();
    encode(&mut text, &registry).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
