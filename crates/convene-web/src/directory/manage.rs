//! Managing the directory: organisation administrators propose changes to
//! their services; partnership coordinators change any service directly and
//! approve or reject what others propose. Every change is a version: who,
//! when, what changed.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::directory::changes::{changed_fields, fingerprint};
use convene_domain::directory::duplicates::{Reason, likely_duplicates};
use convene_domain::directory::editing::REVIEW_AFTER_DAYS;
use convene_domain::directory::editing::{DELIVERY_MODES, LocalFields, REFERRERS, ServiceForm};
use convene_domain::directory::parse_service;
use convene_domain::directory::postcodes::Postcode;
use convene_domain::directory::taxonomy;
use convene_domain::identity::policy::directory_scope;
use convene_domain::identity::{Action, Role, may};
use convene_domain::ids::new_id;
use convene_store::directory::postcodes;
use convene_store::directory::services::{self, ServiceRow};
use convene_store::directory::versions::{self, Version, VersionState};
use convene_store::{StoreError, audit, organisations};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::ManageDirectory;
use crate::identity::visitor::Visitor;
use crate::page::Page;
use crate::state::AppState;

/// The organisations whose services the visitor may change (`None`: all).
pub fn editable_organisations(visitor: &Visitor) -> Option<Vec<Uuid>> {
    directory_scope(&visitor.principal)
}

pub struct Listed {
    pub row: ServiceRow,
    pub organisation: String,
    pub needs_review: bool,
    pub pending: usize,
}

#[derive(Template)]
#[template(path = "directory/manage.html")]
struct ManagePage {
    page: Page,
    services: Vec<Listed>,
    duplicates: Vec<(Uuid, String, Uuid, String, &'static str)>,
    organisations: Vec<(Uuid, String)>,
    can_approve: bool,
    waiting: usize,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    who: Authorised<ManageDirectory>,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let scope = editable_organisations(&who.visitor);
    let rows = services::rows(conn, scope.as_deref()).await?;
    let pending = versions::pending(conn).await?;
    let all_organisations = organisations::list(conn).await?;
    let name_of = |id: Uuid| {
        all_organisations
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.details.name.clone())
            .unwrap_or_default()
    };
    let now = state.clock.now();
    let services = rows
        .into_iter()
        .map(|row| Listed {
            organisation: name_of(row.organisation_id),
            needs_review: row
                .last_reviewed_at
                .is_none_or(|at| now - at > Duration::days(REVIEW_AFTER_DAYS)),
            pending: pending.iter().filter(|v| v.service_id == row.id).count(),
            row,
        })
        .collect();
    let organisations = all_organisations
        .iter()
        .filter(|o| scope.as_ref().is_none_or(|ids| ids.contains(&o.id)))
        .map(|o| (o.id, o.details.name.clone()))
        .collect();
    let listings = services::listings(conn, scope.as_deref()).await?;
    let name = |id: Uuid| {
        listings
            .iter()
            .find(|l| l.id == id)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let duplicates = likely_duplicates(&listings)
        .into_iter()
        .map(|(a, b, reason)| {
            let why = match reason {
                Reason::SameNameAndPostcode => "same name and postcode",
                Reason::SimilarNameSameOrganisation => "very similar names at one organisation",
            };
            (a, name(a), b, name(b), why)
        })
        .collect();
    let can_approve = may(&who.visitor.principal, Action::ApproveServices);
    let notice = match notice.done.as_deref() {
        Some("published") => Some("The service is published."),
        Some("proposed") => {
            Some("Your change has been sent to the partnership coordinators for approval.")
        }
        Some("decided") => Some("Decision recorded."),
        _ => None,
    };
    let template = ManagePage {
        page,
        services,
        duplicates,
        organisations,
        can_approve,
        waiting: pending.len(),
        notice,
    };
    Ok(Html(template.render()?).into_response())
}

#[derive(Template)]
#[template(path = "directory/edit.html")]
struct EditPage {
    page: Page,
    action: String,
    heading: String,
    organisation: String,
    form: ServiceForm,
    errors: FormErrors,
    needs: &'static [(&'static str, &'static str, &'static str)],
    days: [(&'static str, &'static str); 7],
    delivery_modes: [(&'static str, &'static str); 3],
    referrers: [(&'static str, &'static str); 3],
    publishes: bool,
}

const DAYS: [(&str, &str); 7] = [
    ("MO", "Monday"),
    ("TU", "Tuesday"),
    ("WE", "Wednesday"),
    ("TH", "Thursday"),
    ("FR", "Friday"),
    ("SA", "Saturday"),
    ("SU", "Sunday"),
];

impl EditPage {
    fn has(&self, list: &[String], code: &str) -> bool {
        list.iter().any(|x| x == code)
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

#[allow(clippy::too_many_arguments)]
fn edit_page(
    page: Page,
    action: String,
    heading: String,
    organisation: (Uuid, String),
    form: ServiceForm,
    errors: FormErrors,
    publishes: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let template = EditPage {
        page,
        action,
        heading,
        organisation: organisation.1,
        form,
        errors,
        needs: taxonomy::NEEDS,
        days: DAYS,
        delivery_modes: DELIVERY_MODES,
        referrers: REFERRERS,
        publishes,
    };
    Ok((status, Html(template.render()?)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    organisation: Option<Uuid>,
}

/// The organisation, if the visitor may edit its services; else 404.
pub async fn editable(
    state: &AppState,
    visitor: &Visitor,
    organisation_id: Uuid,
) -> Result<(Uuid, String), AppError> {
    if !may(&visitor.principal, Action::EditServices { organisation_id }) {
        return Err(AppError::NotFound);
    }
    let organisation = organisations::get(state.store.conn(), organisation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((organisation.id, organisation.details.name))
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page,
    who: Authorised<ManageDirectory>,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let organisation_id = query
        .organisation
        .or_else(|| {
            who.visitor
                .principal
                .organisations_with(Role::OrganisationAdmin)
                .first()
                .copied()
        })
        .ok_or_else(|| {
            AppError::BadRequest("Choose the organisation that runs the service".into())
        })?;
    let organisation = editable(&state, &who.visitor, organisation_id).await?;
    let form = ServiceForm {
        delivery: vec!["in_person".into()],
        who_can_refer: "self".into(),
        ..Default::default()
    };
    let publishes = may(&who.visitor.principal, Action::ApproveServices);
    edit_page(
        page,
        format!("/directory/services/new?organisation={organisation_id}"),
        "Add a service".into(),
        organisation,
        form,
        FormErrors::default(),
        publishes,
        StatusCode::OK,
    )
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    who: Authorised<ManageDirectory>,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let row = services::row(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let organisation = editable(&state, &who.visitor, row.organisation_id).await?;
    let doc = services::document(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let local = LocalFields {
        delivery_modes: row.delivery_modes.clone(),
        who_can_refer: row.who_can_refer.clone(),
    };
    let form = ServiceForm::from_document(&doc, &local);
    let publishes = may(&who.visitor.principal, Action::ApproveServices);
    edit_page(
        page,
        format!("/directory/services/{id}/edit"),
        format!("Change {}", row.name),
        organisation,
        form,
        FormErrors::default(),
        publishes,
        StatusCode::OK,
    )
}

/// Reads the form, whose checkboxes repeat.
fn read_form(body: &Bytes) -> ServiceForm {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut form = ServiceForm::default();
    for (key, value) in pairs {
        match key.as_str() {
            "name" => form.name = value,
            "description" => form.description = value,
            "status" => form.status = value,
            "minimum_age" => form.minimum_age = value,
            "maximum_age" => form.maximum_age = value,
            "cost" => form.cost = value,
            "needs" => form.needs.push(value),
            "days" => form.days.push(value),
            "opens_at" => form.opens_at = value,
            "closes_at" => form.closes_at = value,
            "place_name" => form.place_name = value,
            "address" => form.address = value,
            "postcode" => form.postcode = value,
            "email" => form.email = value,
            "phone" => form.phone = value,
            "url" => form.url = value,
            "delivery" => form.delivery.push(value),
            "who_can_refer" => form.who_can_refer = value,
            _ => {}
        }
    }
    form
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<ManageDirectory>,
    Query(query): Query<NewQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let organisation_id = query.organisation.ok_or(AppError::NotFound)?;
    let organisation = editable(&state, &who.visitor, organisation_id).await?;
    save(
        state,
        page,
        address,
        who.visitor,
        organisation,
        new_id(),
        None,
        read_form(&body),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<ManageDirectory>,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    let row = services::row(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let organisation = editable(&state, &who.visitor, row.organisation_id).await?;
    let existing = services::document(state.store.conn(), id).await?;
    save(
        state,
        page,
        address,
        who.visitor,
        organisation,
        id,
        existing,
        read_form(&body),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn save(
    state: AppState,
    page: Page,
    address: ClientAddress,
    visitor: Visitor,
    organisation: (Uuid, String),
    service_id: Uuid,
    existing: Option<Value>,
    form: ServiceForm,
) -> Result<Response, AppError> {
    let publishes = may(&visitor.principal, Action::ApproveServices);
    match propose(
        &state,
        &address,
        &visitor,
        (organisation.0, &organisation.1),
        service_id,
        existing.as_ref(),
        &form,
    )
    .await?
    {
        Ok(VersionState::Published) => {
            Ok(Redirect::to("/directory?done=published").into_response())
        }
        Ok(_) => Ok(Redirect::to("/directory?done=proposed").into_response()),
        Err(errors) => {
            let (action, heading) = match &existing {
                Some(_) => (
                    format!("/directory/services/{service_id}/edit"),
                    format!("Change {}", form.name),
                ),
                None => (
                    format!("/directory/services/new?organisation={}", organisation.0),
                    "Add a service".into(),
                ),
            };
            edit_page(
                page,
                action,
                heading,
                organisation,
                form,
                errors.into(),
                publishes,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// Records a change to a service as a version: published at once when the
/// visitor may approve, otherwise waiting for a coordinator. Returns the
/// version's state, or what is wrong with the form (nothing is written then).
pub async fn propose(
    state: &AppState,
    address: &ClientAddress,
    visitor: &Visitor,
    organisation: (Uuid, &str),
    service_id: Uuid,
    existing: Option<&Value>,
    form: &ServiceForm,
) -> Result<Result<VersionState, convene_domain::text::ValidationErrors>, AppError> {
    let now = state.clock.now();
    let publishes = may(&visitor.principal, Action::ApproveServices);
    let coordinates = match Postcode::parse(&form.postcode) {
        Ok(code) => postcodes::find(state.store.conn(), &code)
            .await?
            .map(|p| (p.latitude, p.longitude)),
        Err(_) => None,
    };
    let modified = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (document, local) =
        match form.apply(service_id, organisation, existing, coordinates, &modified) {
            Ok(done) => done,
            Err(errors) => return Ok(Err(errors)),
        };
    let version_state = if publishes {
        VersionState::Published
    } else {
        VersionState::Pending
    };
    let version = Version {
        id: new_id(),
        service_id,
        organisation_id: organisation.0,
        changed_fields: changed_fields(existing, &document),
        base_fingerprint: fingerprint(existing),
        document,
        delivery_modes: local.delivery_modes,
        who_can_refer: local.who_can_refer,
        state: version_state,
        proposed_by: visitor.account.id,
        proposed_at: now,
        decided_by: publishes.then_some(visitor.account.id),
        decided_at: publishes.then_some(now),
    };
    let mut entry = visitor
        .audit(AuditAction::ServiceChangeProposed, state, address)
        .on("service", service_id);
    entry.actor_organisation_id = Some(organisation.0);
    entry.purpose = Some(if publishes {
        "published".into()
    } else {
        "sent for approval".into()
    });
    let user = visitor.account.id;
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                versions::record(txn, &version).await?;
                if publishes {
                    publish(txn, &version, user, now).await?;
                }
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    if publishes {
        state.directory_changed().await;
    }
    Ok(Ok(version_state))
}

/// Makes a version the live service.
pub(super) async fn publish<C: convene_store::ConnectionTrait>(
    txn: &C,
    version: &Version,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let record =
        parse_service(&version.document).map_err(|e| StoreError::Refused(e.to_string()))?;
    services::upsert(txn, &record, services::LOCAL_SOURCE, now).await?;
    services::set_local_fields(
        txn,
        version.service_id,
        &version.delivery_modes,
        &version.who_can_refer,
        by,
        now,
    )
    .await
}
