//! Reviewing changes: the version history of a listing, and the
//! coordinators' queue of changes to approve or reject.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::directory::changes::fingerprint;
use convene_store::audit;
use convene_store::directory::services;
use convene_store::directory::versions::{self, Version, VersionState};
use convene_store::identity::accounts;
use serde_json::Value;
use uuid::Uuid;

use super::manage::{editable, publish};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::{ApproveServices, ManageDirectory};
use crate::page::Page;
use crate::state::AppState;

enum Decision {
    Done,
    AlreadyDecided,
    Stale,
}

pub struct VersionView {
    pub version: Version,
    pub name: String,
    pub by: String,
}

async fn views(state: &AppState, list: Vec<Version>) -> Result<Vec<VersionView>, AppError> {
    let mut out = Vec::with_capacity(list.len());
    for version in list {
        let by = accounts::get(state.store.conn(), version.proposed_by)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default();
        let name = version
            .document
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        out.push(VersionView { version, name, by });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "directory/history.html")]
struct HistoryPage {
    page: Page,
    name: String,
    versions: Vec<VersionView>,
}

pub async fn history(
    State(state): State<AppState>,
    page: Page,
    who: Authorised<ManageDirectory>,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let row = services::row(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    editable(&state, &who.visitor, row.organisation_id).await?;
    let versions = views(&state, versions::history(state.store.conn(), id).await?).await?;
    Ok(Html(
        HistoryPage {
            page,
            name: row.name,
            versions,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "directory/approvals.html")]
struct ApprovalsPage {
    page: Page,
    versions: Vec<VersionView>,
}

pub async fn approvals(
    State(state): State<AppState>,
    page: Page,
    _who: Authorised<ApproveServices>,
) -> Result<Response, AppError> {
    let versions = views(&state, versions::pending(state.store.conn()).await?).await?;
    Ok(Html(ApprovalsPage { page, versions }.render()?).into_response())
}

pub async fn approve(
    state: State<AppState>,
    address: ClientAddress,
    who: Authorised<ApproveServices>,
    path: Path<Uuid>,
) -> Result<Response, AppError> {
    decide(state, address, who, path, true).await
}

pub async fn reject(
    state: State<AppState>,
    address: ClientAddress,
    who: Authorised<ApproveServices>,
    path: Path<Uuid>,
) -> Result<Response, AppError> {
    decide(state, address, who, path, false).await
}

async fn decide(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<ApproveServices>,
    Path(id): Path<Uuid>,
    approved: bool,
) -> Result<Response, AppError> {
    let version = versions::get(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let by = who.visitor.account.id;
    let mut entry = who
        .audit(AuditAction::ServiceChangeDecided, &state, &address)
        .on("service", version.service_id);
    entry.purpose = Some(if approved {
        "approved".into()
    } else {
        "rejected".into()
    });
    let decided = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                let state_after = if approved {
                    VersionState::Published
                } else {
                    VersionState::Rejected
                };
                if approved {
                    // A change made from an older listing must not undo
                    // edits (or imports) made since.
                    let live = services::document(txn, version.service_id).await?;
                    if fingerprint(live.as_ref()) != version.base_fingerprint {
                        return Ok(Decision::Stale);
                    }
                }
                if !versions::decide(txn, version.id, state_after, by, now).await? {
                    return Ok(Decision::AlreadyDecided);
                }
                if approved {
                    publish(txn, &version, by, now).await?;
                }
                audit::record_in(txn, entry).await?;
                Ok(Decision::Done)
            })
        })
        .await?;
    match decided {
        Decision::Done => state.directory_changed().await,
        Decision::AlreadyDecided => {
            return Err(AppError::BadRequest(
                "Someone has already decided this change".into(),
            ));
        }
        Decision::Stale => {
            return Err(AppError::BadRequest(
                "This listing has changed since this change was proposed, so approving it would undo newer edits. Reject it and ask for the change to be made again".into(),
            ));
        }
    }
    Ok(Redirect::to("/directory?done=decided").into_response())
}
