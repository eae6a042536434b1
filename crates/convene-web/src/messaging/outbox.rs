//! The administrators' outbox page: how many messages have each status, the
//! newest messages (optionally of one status), and "Send again" for those
//! that failed or were not delivered.
//!
//! Messages to families show nothing personal: the outbox holds neither
//! their recipient nor their text, and this page says "Family (not shown)"
//! whatever a row holds.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::directory::schedules::london_time;
use convene_domain::messaging::delivery::Channel;
use convene_domain::messaging::templates::MessageKind;
use convene_store::messaging::outbox::{self, Message, STATUSES};
use convene_store::{StoreError, audit};
use serde::Deserialize;
use uuid::Uuid;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::AdministerPlatform;
use crate::page::Page;
use crate::state::AppState;

/// How many messages the page lists.
const SHOWN: u64 = 100;

/// A status as people read it.
fn status_label(status: &str) -> &'static str {
    match status {
        "queued" => "Queued",
        "sent" => "Sent",
        "delivered" => "Delivered",
        "undelivered" => "Not delivered",
        "failed" => "Failed",
        "skipped" => "Skipped",
        _ => "Unknown",
    }
}

/// The GOV.UK tag colour for a status.
fn status_tag(status: &str) -> &'static str {
    match status {
        "queued" => "govuk-tag--blue",
        "sent" => "govuk-tag--light-blue",
        "delivered" => "govuk-tag--green",
        "undelivered" => "govuk-tag--orange",
        "failed" => "govuk-tag--red",
        _ => "govuk-tag--grey",
    }
}

pub struct Count {
    pub status: &'static str,
    pub label: &'static str,
    pub tag: &'static str,
    pub count: u64,
}

pub struct Row {
    pub id: Uuid,
    pub created: String,
    pub kind: String,
    pub family: bool,
    /// Staff messages only.
    pub recipient: String,
    /// Staff messages only, once sent.
    pub subject: String,
    pub channel: &'static str,
    pub status: &'static str,
    pub tag: &'static str,
    pub attempts: i32,
    pub last_error: String,
    pub retryable: bool,
}

impl Row {
    fn of(message: Message) -> Self {
        let family = message.audience != "staff";
        let status = STATUSES
            .into_iter()
            .find(|s| *s == message.status)
            .unwrap_or("");
        Self {
            id: message.id,
            created: london_time(message.created_at)
                .format("%-d %B %Y, %-I:%M%P")
                .to_string(),
            kind: message
                .kind()
                .map(MessageKind::label)
                .map_or_else(|| message.kind.clone(), str::to_string),
            family,
            recipient: if family {
                String::new()
            } else {
                message.recipient
            },
            subject: if family {
                String::new()
            } else {
                message.subject
            },
            channel: Channel::parse(&message.channel).map_or("Not sent yet", Channel::label),
            status: status_label(status),
            tag: status_tag(status),
            attempts: message.attempts,
            last_error: message.last_error.unwrap_or_default(),
            retryable: matches!(status, "failed" | "undelivered"),
        }
    }
}

#[derive(Template)]
#[template(path = "messaging/outbox.html")]
struct OutboxPage {
    page: Page,
    counts: Vec<Count>,
    /// The status shown (empty: all).
    selected: String,
    rows: Vec<Row>,
    /// As many rows as the page shows: there may be more.
    full: bool,
    shown: u64,
    errors: FormErrors,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn outbox_page(
    state: &AppState,
    page: Page,
    status: Option<&str>,
    mut errors: FormErrors,
    notice: Option<&'static str>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let selected = match status.filter(|s| !s.is_empty()) {
        None => None,
        Some(status) => match STATUSES.into_iter().find(|s| *s == status) {
            Some(known) => Some(known),
            None => {
                errors.add("status", "Select a status from the list");
                None
            }
        },
    };
    let counts = outbox::counts(conn)
        .await?
        .into_iter()
        .map(|(status, count)| Count {
            status,
            label: status_label(status),
            tag: status_tag(status),
            count,
        })
        .collect();
    let rows: Vec<Row> = outbox::recent(conn, selected, SHOWN)
        .await?
        .into_iter()
        .map(Row::of)
        .collect();
    let template = OutboxPage {
        page,
        counts,
        selected: selected.unwrap_or_default().to_string(),
        full: rows.len() as u64 == SHOWN,
        rows,
        shown: SHOWN,
        errors,
        notice,
    };
    Ok((code, Html(template.render()?)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    _who: Authorised<AdministerPlatform>,
    Query(query): Query<OutboxQuery>,
) -> Result<Response, AppError> {
    let notice = match query.done.as_deref() {
        Some("retried") => Some("The message is queued to be sent again."),
        _ => None,
    };
    outbox_page(
        &state,
        page,
        query.status.as_deref(),
        FormErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// Sends a failed or undelivered message again. Any other message is
/// refused (the page is shown again with the reason) and nothing changes.
pub async fn retry(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<AdministerPlatform>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let message = outbox::get(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entry = who
        .audit(AuditAction::MessagingChanged, &state, &address)
        .on("outbox_message", message.id)
        .because(format!("sent again (was {})", message.status));
    let now = state.clock.now();
    let done = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                outbox::retry(txn, id, now).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await;
    match done {
        Ok(()) => Ok(Redirect::to("/messaging/outbox?done=retried").into_response()),
        Err(StoreError::Refused(reason)) => {
            outbox_page(
                &state,
                page,
                None,
                FormErrors::one("messages", reason),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
