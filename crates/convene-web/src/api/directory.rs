//! The directory's JSON API: list, read, create and change listings, with
//! the same rules as the pages (administrators propose, coordinators
//! publish). Needs a token with the `directory` scope.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use convene_domain::directory::editing::ServiceForm;
use convene_domain::ids::new_id;
use convene_store::directory::services;
use convene_store::directory::versions::VersionState;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::client::ClientAddress;
use crate::directory::manage::{editable, editable_organisations, propose};
use crate::error::AppError;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::ManageDirectory;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    who: Authorised<ManageDirectory>,
) -> Result<Json<Value>, AppError> {
    let scope = editable_organisations(&who.visitor);
    let rows = services::rows(state.store.conn(), scope.as_deref()).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "organisation_id": r.organisation_id,
                "status": r.status,
                "delivery_modes": r.delivery_modes,
                "who_can_refer": r.who_can_refer,
                "last_reviewed_at": r.last_reviewed_at,
            })
        })
        .collect();
    Ok(Json(json!({ "services": items })))
}

pub async fn get(
    State(state): State<AppState>,
    who: Authorised<ManageDirectory>,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, AppError> {
    let row = services::row(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    editable(&state, &who.visitor, row.organisation_id).await?;
    let document = services::document(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(json!({
        "service": document,
        "delivery_modes": row.delivery_modes,
        "who_can_refer": row.who_can_refer,
        "last_reviewed_at": row.last_reviewed_at,
    })))
}

#[derive(Debug, Deserialize)]
pub struct CreateQuery {
    organisation_id: Option<Uuid>,
}

fn outcome(
    result: Result<VersionState, convene_domain::text::ValidationErrors>,
    service_id: Uuid,
    created: bool,
) -> Result<Response, AppError> {
    match result {
        Err(errors) => Err(AppError::Invalid(errors)),
        Ok(state) => {
            let state = match state {
                VersionState::Published => "published",
                VersionState::Pending => "pending_approval",
                VersionState::Rejected => "rejected",
            };
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((
                status,
                Json(json!({ "service_id": service_id, "state": state })),
            )
                .into_response())
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<ManageDirectory>,
    Query(query): Query<CreateQuery>,
    Json(form): Json<ServiceForm>,
) -> Result<Response, AppError> {
    let organisation_id = query
        .organisation_id
        .ok_or_else(|| AppError::BadRequest("organisation_id is required".into()))?;
    let organisation = editable(&state, &who.visitor, organisation_id).await?;
    let id = new_id();
    let result = propose(
        &state,
        &address,
        &who.visitor,
        (organisation.0, &organisation.1),
        id,
        None,
        &form,
    )
    .await?;
    outcome(result, id, true)
}

pub async fn update(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<ManageDirectory>,
    Path(id): Path<Uuid>,
    Json(form): Json<ServiceForm>,
) -> Result<Response, AppError> {
    let row = services::row(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let organisation = editable(&state, &who.visitor, row.organisation_id).await?;
    let existing = services::document(state.store.conn(), id).await?;
    let result = propose(
        &state,
        &address,
        &who.visitor,
        (organisation.0, &organisation.1),
        id,
        existing.as_ref(),
        &form,
    )
    .await?;
    outcome(result, id, false)
}
