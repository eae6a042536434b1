//! The JSON API under `/api/v1`, for machine clients with bearer tokens.

use axum::extract::{Query, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use convene_domain::audit::{AuditAction, AuditEvent};
use convene_store::audit;
use serde_json::{Value, json};

use crate::audit::AuditQuery;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::{OwnAccount, SearchAudit};
use crate::state::AppState;

mod directory;
pub mod openapi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/me", get(me))
        .route("/api/v1/audit", get(search_audit))
        .route(
            "/api/v1/services",
            get(directory::list).post(directory::create),
        )
        .route(
            "/api/v1/services/{id}",
            get(directory::get).put(directory::update),
        )
}

async fn me(who: Authorised<OwnAccount>) -> Json<Value> {
    let account = &who.visitor.account;
    let memberships: Vec<Value> = who
        .visitor
        .principal
        .memberships
        .iter()
        .map(|m| json!({ "organisation_id": m.organisation_id, "role": m.role }))
        .collect();
    Json(json!({
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "memberships": memberships,
    }))
}

async fn search_audit(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<SearchAudit>,
    RawQuery(raw): RawQuery,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    // The pages treat an empty date as none; the API says what it takes.
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if matches!(name.as_ref(), "from" | "to" | "action") && value.trim().is_empty() {
            return Err(AppError::BadRequest(format!(
                "{name}: give a value, or leave {name} out"
            )));
        }
    }
    if query.page == Some(0) {
        return Err(AppError::BadRequest("page: pages start at 1".into()));
    }
    let filter = query
        .filter(&state, &who.visitor)
        .await?
        .map_err(|errors| {
            AppError::BadRequest(
                errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    let page = query.page.unwrap_or(1).clamp(1, 100_000);
    let (events, total) = audit::search(state.store.conn(), &filter, 100, (page - 1) * 100).await?;
    let mut entry = who
        .visitor
        .audit(AuditAction::AuditSearched, &state, &address);
    entry.purpose = Some("api".to_string());
    entry.subject_person_id = filter.subject_person_id;
    audit::record(&state.store, entry).await?;
    Ok(Json(
        json!({ "total": total, "page": page, "events": events.iter().map(event_json).collect::<Vec<_>>() }),
    ))
}

fn event_json(event: &AuditEvent) -> Value {
    serde_json::to_value(event).unwrap_or(Value::Null)
}
