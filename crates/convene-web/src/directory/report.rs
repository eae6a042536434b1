//! "Report a problem with this listing": the message goes to the
//! organisation that owns the service.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use convene_domain::identity::throttle::ThrottleRule;
use convene_domain::text::{self, ValidationErrors};
use convene_store::identity::throttles;
use convene_store::organisations;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::service_page::{public_document, render};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::mail::Email;
use crate::page::Page;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    message: String,
}

#[derive(Template)]
#[template(path = "directory/report-sent.html")]
struct SentPage {
    page: Page,
    id: String,
    name: String,
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    Path(id): Path<String>,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    let doc = public_document(&state, &id).await?;
    let mut errors = ValidationErrors::default();
    let message = text::required_multiline(
        &mut errors,
        "message",
        "what is wrong with this listing",
        &form.message,
        2000,
    );
    if !errors.is_empty() {
        let open = super::service_page::takes_self_referrals(&state, &id).await?;
        let body = render(page, &doc, errors.into(), form.message, open)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response());
    }
    // Public forms are throttled per address, so nobody can flood an owner.
    let now = state.clock.now();
    let key = format!(
        "report:{}",
        address.text().unwrap_or_else(|| "unknown".into())
    );
    if let Some(wait) = throttles::get(state.store.conn(), &key, now)
        .await?
        .locked_for(now)
    {
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: wait.num_seconds(),
        });
    }
    throttles::record_failure(&state.store, &key, ThrottleRule::per_account(), now).await?;

    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let organisation_id = doc
        .get("organization")
        .and_then(|o| o.get("id"))
        .or_else(|| doc.get("organization_id"))
        .and_then(Value::as_str)
        .and_then(|t| Uuid::parse_str(t).ok());
    let owner = match organisation_id {
        Some(id) => organisations::get(state.store.conn(), id).await?,
        None => None,
    };
    match owner.and_then(|o| o.details.email.map(|email| (o.details.name, email))) {
        Some((owner_name, email)) => state.mailer.send(Email {
            to: email,
            subject: format!("A problem reported with your listing: {name}"),
            body: format!(
                "Someone using {} reported a problem with the listing \"{name}\" of {owner_name}:\n\n{message}\n\nThe listing: {}",
                state.settings.instance_name,
                state.settings.link(&format!("/find-support/services/{id}"))
            ),
        }),
        None => tracing::warn!(service = %id, "a listing problem was reported but its organisation has no email address"),
    }
    Ok(Html(SentPage { page, id, name }.render()?).into_response())
}
