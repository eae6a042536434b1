//! "Ask for help": a family refers themselves (or their child) to a service
//! that accepts it, from its public page. No sign-in; throttled per
//! address, with a hidden field only robots fill in; the family's consent
//! to share with the service is asked for plainly and recorded. The request
//! lands in the service's inbox.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::directory::schedules::london_time;
use convene_domain::identity::throttle::ThrottleRule;
use convene_domain::ids::new_id;
use convene_domain::people::households::Relationship;
use convene_domain::people::sharing::PRIVACY_NOTICE_VERSION;
use convene_domain::people::{PersonForm, check_person};
use convene_domain::text::{ValidationErrors, required_multiline};
use convene_store::identity::throttles;
use convene_store::referrals::intake::{SelfReferral, take_in_self_referral};
use convene_store::{StoreError, audit};
use serde_json::Value;

use super::service_page::{public_document, takes_self_referrals};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::referrals::form::Typed;
use crate::referrals::{date_from_parts, field, pairs};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "directory/ask.html")]
struct AskPage {
    page: Page,
    id: String,
    name: String,
    organisation: String,
    typed: Typed,
    errors: FormErrors,
    privacy_notice: &'static str,
}

#[derive(Template)]
#[template(path = "directory/ask-sent.html")]
struct SentPage {
    page: Page,
    id: String,
    name: String,
}

async fn service(state: &AppState, id: &str) -> Result<(String, String), AppError> {
    let doc = public_document(state, id).await?;
    if !takes_self_referrals(state, id).await? {
        return Err(AppError::NotFound);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    Ok((
        text(doc.get("name")),
        text(doc.get("organization").and_then(|o| o.get("name"))),
    ))
}

async fn render(
    state: &AppState,
    page: Page,
    id: String,
    typed: Typed,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let (name, organisation) = service(state, &id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = AskPage {
        page,
        id,
        name,
        organisation,
        typed,
        errors,
        privacy_notice: PRIVACY_NOTICE_VERSION,
    }
    .render()?;
    Ok((status, Html(body)).into_response())
}

pub async fn form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let typed = Typed {
        values: vec![("for".into(), "child".into())],
    };
    render(&state, page, id, typed, FormErrors::default()).await
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (name, _) = service(&state, &id).await?;
    let values = pairs(&body);
    let now = state.clock.now();
    // Public: throttled per address so nobody can flood a service's inbox.
    let key = format!("ask:{}", address.text().unwrap_or_else(|| "unknown".into()));
    if let Some(wait) = throttles::get(state.store.conn(), &key, now)
        .await?
        .locked_for(now)
    {
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: wait.num_seconds(),
        });
    }
    let typed = Typed {
        values: values.clone(),
    };
    // Only robots fill in the hidden field: accept quietly, keep nothing.
    if !field(&values, "website").is_empty() {
        throttles::record_failure(&state.store, &key, ThrottleRule::per_account(), now).await?;
        return Ok(Html(SentPage { page, id, name }.render()?).into_response());
    }

    let today = london_time(now).date();
    let for_child = field(&values, "for") != "myself";
    let mut errors = FormErrors::default();
    let contact = PersonForm {
        given_name: field(&values, "given_name"),
        family_name: field(&values, "family_name"),
        date_of_birth: if for_child {
            String::new()
        } else {
            date_from_parts(&values, "dob")
        },
        phone: field(&values, "phone"),
        email: field(&values, "email"),
        contact_preference: field(&values, "contact_preference"),
        ..Default::default()
    };
    let asking = check_person(&contact, today, !for_child);
    if let Err(e) = &asking {
        for error in &e.0 {
            let name = if error.field == "date_of_birth" {
                "dob-day"
            } else {
                error.field
            };
            errors.add(name, error.message.clone());
        }
    }
    if asking
        .as_ref()
        .is_ok_and(|p| p.phone.is_none() && p.email.is_none())
    {
        errors.add(
            "phone",
            "Give a phone number or an email address so they can contact you",
        );
    }
    let child = if for_child {
        let checked = check_person(
            &PersonForm {
                given_name: field(&values, "child_given_name"),
                family_name: field(&values, "child_family_name"),
                date_of_birth: date_from_parts(&values, "child_dob"),
                ..Default::default()
            },
            today,
            true,
        );
        if let Err(e) = &checked {
            for error in &e.0 {
                let name = match error.field {
                    "given_name" => "child_given_name",
                    "family_name" => "child_family_name",
                    _ => "child_dob-day",
                };
                errors.add(name, error.message.clone());
            }
        }
        checked.ok()
    } else {
        None
    };
    let mut text_errors = ValidationErrors::default();
    let reason = required_multiline(
        &mut text_errors,
        "reason",
        "what you would like help with",
        &field(&values, "reason"),
        2000,
    );
    for e in text_errors.0 {
        errors.add(e.field, e.message);
    }
    if field(&values, "consent") != PRIVACY_NOTICE_VERSION {
        errors.add(
            "consent",
            format!("Tick the box to agree that {name} may have these details"),
        );
    }
    let Ok(asking) = asking else {
        return render(&state, page, id, typed, errors).await;
    };
    if !errors.is_empty() {
        return render(&state, page, id, typed, errors).await;
    }
    let (person, asking) = match child {
        Some(child) => (child, Some((asking, Relationship::Parent))),
        None => (asking, None),
    };
    // Only requests that would be stored count towards the limit, so
    // correcting a mistake costs nothing.
    throttles::record_failure(&state.store, &key, ThrottleRule::per_account(), now).await?;
    let service_id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let referral_id = new_id();
    let asked = SelfReferral {
        referral_id,
        service_id,
        person,
        asking,
        reason,
        privacy_notice_version: PRIVACY_NOTICE_VERSION.to_string(),
    };
    let (keys, entry) = (
        state.keys.clone(),
        AuditEntry::new(AuditAction::ReferralChanged, now)
            .on("referral", referral_id)
            .because("self-referral")
            .from_address(address.text()),
    );
    let made = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                let person = take_in_self_referral(txn, &keys, asked, now).await?;
                audit::record_in(txn, entry.about(person)).await
            })
        })
        .await;
    match made {
        Ok(_) => Ok(Html(SentPage { page, id, name }.render()?).into_response()),
        Err(StoreError::Refused(reason)) => {
            render(&state, page, id, typed, FormErrors::one("reason", reason)).await
        }
        Err(other) => Err(other.into()),
    }
}
