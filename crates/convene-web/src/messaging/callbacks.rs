//! GOV.UK Notify's callbacks. Notify posts a delivery receipt for each
//! message (with the reference Convene gave it, the outbox id) and, where
//! the service has an inbound number, each text a family sends back. Both
//! carry the bearer token set in Notify; anything else is refused with 401
//! and changes nothing. Receipts are idempotent: a replay is acknowledged
//! and changes nothing. A reply asking to stop opts that number out.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::messaging::contact::asks_to_stop;
use convene_domain::messaging::delivery::{DeliveryReport, from_notify_status};
use convene_store::audit;
use convene_store::messaging::opt_outs;
use convene_store::messaging::outbox::{self, Report};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

/// A delivery receipt, as Notify sends it (the fields Convene reads).
#[derive(Debug, Deserialize)]
struct Receipt {
    id: String,
    #[serde(default)]
    reference: Option<String>,
    status: String,
}

/// A text a family sent to the service's inbound number.
#[derive(Debug, Deserialize)]
struct Reply {
    source_number: String,
    message: String,
}

fn answer(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The refusal, unless the bearer token is Notify's.
fn refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &state.settings.notify_callback_token else {
        return Some(answer(
            StatusCode::NOT_FOUND,
            "GOV.UK Notify callbacks are not set up on this instance",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    (!token.matches_bearer(given))
        .then(|| answer(StatusCode::UNAUTHORIZED, "The bearer token is not valid"))
}

pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    if let Some(refused) = refusal(&state, &headers) {
        return Ok(refused);
    }
    let Ok(receipt) = serde_json::from_slice::<Receipt>(&body) else {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "The receipt is not valid JSON",
        ));
    };
    let Some(reference) = receipt
        .reference
        .as_deref()
        .and_then(|r| Uuid::parse_str(r).ok())
    else {
        // Not one of Convene's messages: nothing to record.
        return Ok(answer(StatusCode::OK, "No reference Convene knows"));
    };
    let report = match from_notify_status(&receipt.status) {
        // Acknowledged, so Notify does not keep sending it.
        None => return Ok(answer(StatusCode::OK, "Unknown status; nothing recorded")),
        Some(DeliveryReport::Pending) => {
            return Ok(answer(StatusCode::OK, "Still on its way"));
        }
        Some(DeliveryReport::Delivered) => Report::Delivered,
        Some(DeliveryReport::Undelivered { reason }) => Report::Undelivered(reason),
        Some(DeliveryReport::SendAgain { reason }) => Report::SendAgain(reason),
    };
    let changed = outbox::record_report(
        state.store.conn(),
        reference,
        Some(&receipt.id),
        &report,
        state.clock.now(),
    )
    .await?;
    Ok(answer(
        StatusCode::OK,
        if changed {
            "Recorded"
        } else {
            "Already recorded"
        },
    ))
}

pub async fn inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    if let Some(refused) = refusal(&state, &headers) {
        return Ok(refused);
    }
    let Ok(reply) = serde_json::from_slice::<Reply>(&body) else {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "The message is not valid JSON",
        ));
    };
    if !asks_to_stop(&reply.message) {
        // Replies are not read by anyone: reminders say to phone instead.
        return Ok(answer(StatusCode::OK, "Not a request to stop"));
    }
    let Some(index) = opt_outs::phone_index(&state.keys, &reply.source_number) else {
        return Ok(answer(StatusCode::BAD_REQUEST, "The number is not valid"));
    };
    let now = state.clock.now();
    opt_outs::opt_out(state.store.conn(), &[index], "reply", None, now).await?;
    // The audit trail records that a family stopped messages, never the
    // number.
    audit::record(
        &state.store,
        AuditEntry::new(AuditAction::MessagesStopped, now)
            .on("contact", "reply")
            .because("The family replied STOP"),
    )
    .await?;
    Ok(answer(StatusCode::OK, "Stopped"))
}
