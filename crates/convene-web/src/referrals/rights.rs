//! A person's rights, for the safeguarding lead of an organisation entitled
//! to their record: everything held about them (subject access), as JSON or
//! a page to print, and anonymisation where the law allows. Both audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use convene_domain::audit::AuditAction;
use convene_domain::identity::Role;
use convene_store::people::rights;
use convene_store::{StoreError, audit};
use serde_json::Value;
use uuid::Uuid;

use super::Practitioner;
use super::person::party;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

/// The entitled organisation, if the visitor is its safeguarding lead.
async fn lead_of(state: &AppState, who: &Practitioner, id: Uuid) -> Result<Uuid, AppError> {
    let (_, organisation) = party(state, who, id).await?;
    if who
        .visitor
        .principal
        .roles_in(organisation)
        .any(|r| r == Role::SafeguardingLead)
    {
        Ok(organisation)
    } else {
        Err(AppError::NotFound)
    }
}

async fn export_value(
    state: &AppState,
    who: &Practitioner,
    address: &ClientAddress,
    id: Uuid,
) -> Result<Value, AppError> {
    let organisation = lead_of(state, who, id).await?;
    let value = rights::subject_access(state.store.conn(), &state.keys, id).await?;
    let entry = who
        .visitor
        .audit(AuditAction::SubjectAccessExported, state, address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(id);
    audit::record(&state.store, entry).await?;
    Ok(value)
}

pub async fn export_json(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let value = export_value(&state, &who, &address, id).await?;
    let mut response = Json(value).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"subject-access.json\""),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "referrals/subject-access.html")]
struct ExportPage {
    page: Page,
    id: Uuid,
    sections: Vec<(String, String)>,
}

pub async fn export_page(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let value = export_value(&state, &who, &address, id).await?;
    let section = |name: &str, title: &str| {
        (
            title.to_string(),
            serde_json::to_string_pretty(&value[name]).unwrap_or_default(),
        )
    };
    let sections = vec![
        section("person", "Their details"),
        section("households", "Households"),
        section("referrals", "Referrals, their history and appointments"),
        section("sharing", "Sharing decisions and consent"),
        section("record_views", "Who has looked at the record"),
    ];
    Ok(Html(ExportPage { page, id, sections }.render()?).into_response())
}

pub async fn anonymise(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let organisation = lead_of(&state, &who, id).await?;
    let (keys, now) = (state.keys.clone(), state.clock.now());
    let entry = who
        .visitor
        .audit(AuditAction::PersonAnonymised, &state, &address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(id)
        .because("on request");
    let done = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                rights::anonymise(txn, &keys, id, now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await;
    match done {
        Ok(_) => Ok(axum::response::Redirect::to(&format!("/people/{id}")).into_response()),
        Err(StoreError::Refused(reason)) => Err(AppError::BadRequest(reason)),
        Err(other) => Err(other.into()),
    }
}

/// Merges this record into another record of the same person (both
/// visible to the visitor, who must be a safeguarding lead): its
/// referrals, sharing decisions and households move to the one kept.
pub async fn merge(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let organisation = lead_of(&state, &who, id).await?;
    let values = super::pairs(&body);
    let kept = Uuid::parse_str(&super::field(&values, "into")).map_err(|_| AppError::NotFound)?;
    // The one kept must be visible too, and a likely duplicate of this one.
    party(&state, &who, kept).await?;
    let this = convene_store::people::records::get(state.store.conn(), &state.keys, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let likely = convene_store::people::records::possible_duplicates(
        state.store.conn(),
        &state.keys,
        &this.details,
        Some(id),
    )
    .await?;
    if !likely.iter().any(|p| p.id == kept) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let entry = who
        .visitor
        .audit(AuditAction::PeopleMerged, &state, &address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(kept)
        .because(format!("merged {id} into {kept}"));
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                convene_store::people::merging::merge(txn, id, kept, now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await?;
    Ok(axum::response::Redirect::to(&format!("/people/{kept}")).into_response())
}
