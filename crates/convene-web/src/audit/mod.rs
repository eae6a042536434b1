//! The audit search for safeguarding leads and administrators, and its CSV
//! export. Both are themselves recorded in the audit trail.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, TimeZone, Utc};
use convene_domain::audit::{AuditAction, AuditEvent};
use convene_domain::identity::audit_scope;
use convene_store::audit::{self, AuditSearch};
use convene_store::identity::accounts;
use serde::Deserialize;
use uuid::Uuid;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::SearchAudit;
use crate::identity::visitor::Visitor;
use crate::page::Page;
use crate::state::AppState;

const PAGE_SIZE: u64 = 50;
const EXPORT_LIMIT: u64 = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(search_page))
        .route("/audit/export.csv", get(export))
}

/// The search form as submitted (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<u64>,
}

impl AuditQuery {
    /// The store's filter, limited to what the visitor may see, or the
    /// problems with the form.
    pub async fn filter(
        &self,
        state: &AppState,
        visitor: &Visitor,
    ) -> Result<Result<AuditSearch, FormErrors>, AppError> {
        let mut errors = FormErrors::default();
        let mut search = AuditSearch {
            organisations: audit_scope(&visitor.principal).ok_or(AppError::Forbidden)?,
            ..Default::default()
        };
        if !self.person.trim().is_empty() {
            match Uuid::parse_str(self.person.trim()) {
                Ok(id) => search.subject_person_id = Some(id),
                Err(_) => errors.add(
                    "person",
                    "Enter a person's record number, like 0190a3c2-...",
                ),
            }
        }
        if !self.user.trim().is_empty() {
            let email = self.user.trim().to_lowercase();
            // An unknown address simply matches nothing: the search must not
            // tell anyone which addresses have accounts.
            let account = accounts::find_by_email(state.store.conn(), &email).await?;
            search.actor_user_id = Some(account.map_or(Uuid::nil(), |a| a.id));
        }
        if !self.action.is_empty() {
            match AuditAction::parse(&self.action) {
                Some(action) => search.action = Some(action.code().to_string()),
                None => errors.add("action", "Select an action from the list"),
            }
        }
        search.from = parse_day(
            &self.from,
            "from",
            "Enter the first day as a date, like 2026-11-01",
            &mut errors,
        );
        search.until = parse_day(
            &self.to,
            "to",
            "Enter the last day as a date, like 2026-11-30",
            &mut errors,
        )
        .map(|day| day + chrono::Duration::days(1));
        Ok(if errors.is_empty() {
            Ok(search)
        } else {
            Err(errors)
        })
    }
}

fn parse_day(
    text: &str,
    field: &'static str,
    message: &str,
    errors: &mut FormErrors,
) -> Option<chrono::DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) => day.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)),
        Err(_) => {
            errors.add(field, message);
            None
        }
    }
}

pub struct EventRow {
    pub event: AuditEvent,
    pub who: String,
}

#[derive(Template)]
#[template(path = "audit/search.html")]
struct SearchPage {
    page: Page,
    query: AuditQuery,
    errors: FormErrors,
    rows: Vec<EventRow>,
    total: u64,
    page_number: u64,
    pages: u64,
    export_query: String,
    actions: [AuditAction; 37],
    scoped: bool,
}

/// Names for the actors on a page of events.
pub async fn actor_names(
    state: &AppState,
    events: &[AuditEvent],
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut names = HashMap::new();
    for id in events.iter().filter_map(|e| e.entry.actor_user_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
            let name = accounts::get(state.store.conn(), id)
                .await?
                .map(|a| format!("{} ({})", a.display_name, a.email))
                .unwrap_or_else(|| id.to_string());
            slot.insert(name);
        }
    }
    Ok(names)
}

async fn search_page(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<SearchAudit>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let page_number = query.page.unwrap_or(1).clamp(1, 100_000);
    let (errors, rows, total) = match query.filter(&state, &who.visitor).await? {
        Err(errors) => (errors, Vec::new(), 0),
        Ok(filter) => {
            let (events, total) = audit::search(
                state.store.conn(),
                &filter,
                PAGE_SIZE,
                (page_number - 1) * PAGE_SIZE,
            )
            .await?;
            let names = actor_names(&state, &events).await?;
            let rows = events
                .into_iter()
                .map(|event| EventRow {
                    who: event
                        .entry
                        .actor_user_id
                        .and_then(|id| names.get(&id).cloned())
                        .unwrap_or_else(|| "Nobody signed in".to_string()),
                    event,
                })
                .collect();
            let mut entry = who
                .visitor
                .audit(AuditAction::AuditSearched, &state, &address);
            entry.purpose = Some(describe(&query));
            entry.subject_person_id = filter.subject_person_id;
            audit::record(&state.store, entry).await?;
            (FormErrors::default(), rows, total)
        }
    };
    let export_query = serde_urlencoded::to_string([
        ("person", query.person.as_str()),
        ("user", query.user.as_str()),
        ("action", query.action.as_str()),
        ("from", query.from.as_str()),
        ("to", query.to.as_str()),
    ])
    .unwrap_or_default();
    let template = SearchPage {
        page,
        scoped: audit_scope(&who.visitor.principal).is_some_and(|s| s.is_some()),
        query,
        errors,
        rows,
        total,
        page_number,
        pages: total.div_ceil(PAGE_SIZE).max(1),
        export_query,
        actions: AuditAction::ALL,
    };
    Ok(Html(template.render()?).into_response())
}

/// What was searched for, for the audit trail of the audit trail.
fn describe(query: &AuditQuery) -> String {
    let parts: Vec<String> = [
        ("person", &query.person),
        ("user", &query.user),
        ("action", &query.action),
        ("from", &query.from),
        ("to", &query.to),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={}", v.trim()))
    .collect();
    if parts.is_empty() {
        "all events".to_string()
    } else {
        parts.join(" ")
    }
}

async fn export(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<SearchAudit>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let filter = match query.filter(&state, &who.visitor).await? {
        Ok(filter) => filter,
        Err(errors) => {
            let message = errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(". ");
            return Err(AppError::BadRequest(message));
        }
    };
    let (events, _) = audit::search(state.store.conn(), &filter, EXPORT_LIMIT, 0).await?;
    let names = actor_names(&state, &events).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "seq",
        "id",
        "at",
        "action",
        "actor",
        "actor_user_id",
        "actor_organisation_id",
        "actor_token_id",
        "object_type",
        "object_id",
        "subject_person_id",
        "purpose",
        "client_address",
        "hash",
    ];
    writer
        .write_record(header)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for event in &events {
        let e = &event.entry;
        let opt = |v: Option<String>| v.unwrap_or_default();
        let record = [
            event.seq.to_string(),
            event.id.to_string(),
            e.at.to_rfc3339(),
            e.action.clone(),
            e.actor_user_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default(),
            opt(e.actor_user_id.map(|v| v.to_string())),
            opt(e.actor_organisation_id.map(|v| v.to_string())),
            opt(e.actor_token_id.map(|v| v.to_string())),
            opt(e.object_type.clone()),
            opt(e.object_id.clone()),
            opt(e.subject_person_id.map(|v| v.to_string())),
            opt(e.purpose.clone()),
            opt(e.client_address.clone()),
            event.hash.clone(),
        ];
        writer
            .write_record(record.iter().map(|cell| spreadsheet_safe(cell)))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut entry = who
        .visitor
        .audit(AuditAction::AuditExported, &state, &address);
    entry.purpose = Some(format!("{} ({} events)", describe(&query), events.len()));
    entry.subject_person_id = filter.subject_person_id;
    audit::record(&state.store, entry).await?;
    let filename = format!("audit-{}.csv", state.clock.now().format("%Y%m%d-%H%M%S"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A cell a spreadsheet will show as text, never run as a formula.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}
