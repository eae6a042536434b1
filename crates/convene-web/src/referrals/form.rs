//! Making a referral: who it is for (the child or young person and a parent
//! or carer), what they need in the family's words, how urgent it is, and
//! the decision to share their details with the service. Saved as a draft
//! or sent at once. A child who may already be on record is offered for
//! confirmation rather than recorded twice.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::directory::taxonomy;
use convene_domain::ids::new_id;
use convene_domain::people::households::Relationship;
use convene_domain::people::sharing::{
    HealthCondition, LawfulBasis, PRIVACY_NOTICE_VERSION, ShareForm, SharedItem, check_share,
};
use convene_domain::people::{ContactPreference, PersonForm, check_person};
use convene_domain::referrals::Urgency;
use convene_domain::text::{ValidationErrors, required_multiline};
use convene_store::directory::services;
use convene_store::people::records as people;
use convene_store::referrals::intake::{Child, Intake, take_in};
use convene_store::{audit, organisations};
use serde::Deserialize;
use uuid::Uuid;

use super::{Practitioner, date_from_parts, field, fields, pairs};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ForService {
    service: Option<Uuid>,
}

/// The form as typed, to show again.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub values: Vec<(String, String)>,
}

impl Typed {
    pub fn get(&self, name: &str) -> String {
        field(&self.values, name)
    }

    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }
}

pub struct Candidate {
    pub id: Uuid,
    pub description: String,
}

#[derive(Template)]
#[template(path = "referrals/new.html")]
struct NewPage {
    page: Page,
    service_id: Uuid,
    service_name: String,
    provider: String,
    organisations: Vec<(Uuid, String)>,
    typed: Typed,
    errors: FormErrors,
    candidates: Vec<Candidate>,
    needs: Vec<(String, String)>,
    urgencies: Vec<(&'static str, &'static str)>,
    bases: Vec<(&'static str, &'static str)>,
    items: Vec<(&'static str, &'static str)>,
    conditions: Vec<(&'static str, &'static str)>,
    preferences: Vec<(&'static str, &'static str)>,
    relationships: Vec<(&'static str, &'static str)>,
    privacy_notice: &'static str,
}

fn item_label(item: SharedItem) -> &'static str {
    match item {
        SharedItem::Name => "Names",
        SharedItem::DateOfBirth => "Date of birth",
        SharedItem::ContactDetails => "Contact details",
        SharedItem::Postcode => "Postcode",
        SharedItem::School => "School",
        SharedItem::Needs => "Needs",
        SharedItem::ReasonForReferral => "Reason for the referral",
        SharedItem::HealthInformation => "Health information",
    }
}

fn condition_label(condition: HealthCondition) -> &'static str {
    match condition {
        HealthCondition::ExplicitConsent => "Explicit consent",
        HealthCondition::HealthOrSocialCare => "Health or social care",
        HealthCondition::SafeguardingChildren => "Safeguarding children and people at risk",
        HealthCondition::VitalInterests => "Vital interests",
    }
}

async fn render(
    state: &AppState,
    page: Page,
    who: &Practitioner,
    service_id: Uuid,
    typed: Typed,
    errors: FormErrors,
    candidates: Vec<Candidate>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let service = services::row(conn, service_id)
        .await?
        .filter(|s| s.status == "active")
        .ok_or(AppError::NotFound)?;
    let provider = organisations::get(conn, service.organisation_id)
        .await?
        .map(|o| o.details.name)
        .unwrap_or_default();
    let mut names = Vec::new();
    for id in &who.organisations {
        if let Some(org) = organisations::get(conn, *id).await? {
            names.push((*id, org.details.name));
        }
    }
    let status = if errors.is_empty() && candidates.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = NewPage {
        page,
        service_id,
        service_name: service.name,
        provider,
        organisations: names,
        typed,
        errors,
        candidates,
        needs: taxonomy::NEEDS
            .iter()
            .map(|(code, name, _)| (code.to_string(), name.to_string()))
            .collect(),
        urgencies: Urgency::ALL.iter().map(|u| (u.code(), u.label())).collect(),
        bases: LawfulBasis::ALL
            .iter()
            .map(|b| (b.code(), b.label()))
            .collect(),
        items: SharedItem::ALL
            .iter()
            .map(|i| (i.code(), item_label(*i)))
            .collect(),
        conditions: HealthCondition::ALL
            .iter()
            .map(|c| (c.code(), condition_label(*c)))
            .collect(),
        preferences: ContactPreference::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        relationships: Relationship::ALL
            .iter()
            .filter(|r| r.is_parent_or_carer())
            .map(|r| (r.code(), r.label()))
            .collect(),
        privacy_notice: PRIVACY_NOTICE_VERSION,
    }
    .render()?;
    Ok((status, Html(body)).into_response())
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page,
    who: Practitioner,
    Query(query): Query<ForService>,
) -> Result<Response, AppError> {
    let service = query.service.ok_or(AppError::NotFound)?;
    let typed = Typed {
        values: vec![
            ("urgency".into(), "routine".into()),
            ("basis".into(), "consent".into()),
            ("items".into(), "name".into()),
            ("items".into(), "contact_details".into()),
            ("items".into(), "needs".into()),
            ("items".into(), "reason".into()),
        ],
    };
    render(
        &state,
        page,
        &who,
        service,
        typed,
        FormErrors::default(),
        Vec::new(),
    )
    .await
}

fn person_form(values: &[(String, String)], prefix: &str) -> PersonForm {
    let get = |name: &str| field(values, &format!("{prefix}{name}"));
    PersonForm {
        given_name: get("given_name"),
        family_name: get("family_name"),
        date_of_birth: date_from_parts(values, &format!("{prefix}dob")),
        phone: get("phone"),
        email: get("email"),
        contact_preference: get("contact_preference"),
        preferred_language: get("preferred_language"),
        school: get("school"),
        postcode: get("postcode"),
    }
}

/// Renames a person's field errors to the form's field names.
fn prefixed(errors: ValidationErrors, prefix: &'static str, into: &mut FormErrors) {
    for error in errors.0 {
        let name: &'static str = match (prefix, error.field) {
            ("child_", "given_name") => "child_given_name",
            ("child_", "family_name") => "child_family_name",
            ("child_", "date_of_birth") => "child_dob-day",
            ("child_", "postcode") => "child_postcode",
            ("child_", "school") => "child_school",
            ("child_", "preferred_language") => "child_preferred_language",
            ("parent_", "given_name") => "parent_given_name",
            ("parent_", "family_name") => "parent_family_name",
            ("parent_", "phone") => "parent_phone",
            ("parent_", "email") => "parent_email",
            ("parent_", "contact_preference") => "parent_contact_preference",
            (_, other) => other,
        };
        into.add(name, error.message);
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Query(query): Query<ForService>,
    body: Bytes,
) -> Result<Response, AppError> {
    let values = pairs(&body);
    let service_id = query
        .service
        .or_else(|| Uuid::parse_str(&field(&values, "service")).ok())
        .ok_or(AppError::NotFound)?;
    let conn = state.store.conn();
    let service = services::row(conn, service_id)
        .await?
        .filter(|s| s.status == "active")
        .ok_or(AppError::NotFound)?;
    let today = convene_domain::directory::schedules::london_time(state.clock.now()).date();
    let now = state.clock.now();
    let mut errors = FormErrors::default();

    let organisation = match who.organisations.as_slice() {
        [only] => *only,
        many => match Uuid::parse_str(&field(&values, "organisation")) {
            Ok(id) if many.contains(&id) => id,
            _ => {
                errors.add(
                    "organisation",
                    "Choose the organisation you are referring for",
                );
                Uuid::nil()
            }
        },
    };
    let child = check_person(&person_form(&values, "child_"), today, true);
    if let Err(e) = &child {
        prefixed(e.clone(), "child_", &mut errors);
    }
    let parent_typed = person_form(&values, "parent_");
    let has_parent = !(parent_typed.given_name.is_empty() && parent_typed.family_name.is_empty());
    let parent = if has_parent {
        let checked = check_person(&parent_typed, today, false);
        if let Err(e) = &checked {
            prefixed(e.clone(), "parent_", &mut errors);
        }
        checked.ok()
    } else {
        None
    };
    let relationship = Relationship::parse(&field(&values, "parent_relationship"))
        .filter(|r| r.is_parent_or_carer())
        .unwrap_or(Relationship::Parent);
    let mut text_errors = ValidationErrors::default();
    let reason = required_multiline(
        &mut text_errors,
        "reason",
        "the reason for the referral",
        &field(&values, "reason"),
        2000,
    );
    for e in text_errors.0 {
        errors.add(e.field, e.message);
    }
    let urgency = Urgency::parse(&field(&values, "urgency"));
    if urgency.is_none() {
        errors.add("urgency", "Choose how urgent this is");
    }
    let needs: Vec<Uuid> = fields(&values, "needs")
        .iter()
        .filter(|code| taxonomy::NEEDS.iter().any(|(c, _, _)| c == code))
        .map(|code| taxonomy::need_id(code))
        .collect();
    let share_form = ShareForm {
        basis: field(&values, "basis"),
        health_condition: field(&values, "health_condition"),
        purpose: field(&values, "purpose"),
        items: fields(&values, "items"),
        justification: field(&values, "justification"),
        privacy_notice_version: if field(&values, "privacy_notice") == PRIVACY_NOTICE_VERSION {
            PRIVACY_NOTICE_VERSION.to_string()
        } else {
            String::new()
        },
    };
    let share = check_share(
        &share_form,
        service.organisation_id,
        who.visitor.account.id,
        now,
    );
    if let Err(e) = &share {
        for error in &e.0 {
            let name = if error.field == "privacy_notice_version" {
                "privacy_notice"
            } else {
                error.field
            };
            errors.add(name, error.message.clone());
        }
    }
    let typed = Typed {
        values: values.clone(),
    };
    let (Ok(child), Ok(share), Some(urgency)) = (child, share, urgency) else {
        return render(&state, page, &who, service_id, typed, errors, Vec::new()).await;
    };
    if !errors.is_empty() {
        return render(&state, page, &who, service_id, typed, errors, Vec::new()).await;
    }

    // Someone with the same name, date of birth and postcode may already be
    // on record: ask rather than record them twice.
    let existing_choice = field(&values, "child_record");
    let child_id = match existing_choice.as_str() {
        "new" => None,
        "" => {
            let found = people::possible_duplicates(conn, &state.keys, &child, None).await?;
            if !found.is_empty() {
                let mut candidates = Vec::new();
                for person in found {
                    // Showing that a record exists is a view of it.
                    let entry = who
                        .visitor
                        .audit(AuditAction::RecordViewed, &state, &address)
                        .by_organisation(Some(organisation))
                        .on("person", person.id)
                        .about(person.id)
                        .because("offered as a likely duplicate");
                    audit::record(&state.store, entry).await?;
                    candidates.push(Candidate {
                        id: person.id,
                        description: format!(
                            "{}, born {}",
                            person.details.full_name(),
                            person
                                .details
                                .date_of_birth
                                .map(|d| d.format("%-d %B %Y").to_string())
                                .unwrap_or_default()
                        ),
                    });
                }
                return render(&state, page, &who, service_id, typed, errors, candidates).await;
            }
            None
        }
        id => {
            let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
            // Only a record that really is a likely duplicate can be chosen.
            let found = people::possible_duplicates(conn, &state.keys, &child, None).await?;
            if !found.iter().any(|p| p.id == id) {
                return Err(AppError::NotFound);
            }
            Some(id)
        }
    };

    let send = field(&values, "action") == "send";
    let referral_id = new_id();
    let keys = state.keys.clone();
    let by = who.visitor.account.id;
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(organisation))
        .on("referral", referral_id)
        .because(if send {
            "created and sent"
        } else {
            "created as a draft"
        });
    let intake = Intake {
        referral_id,
        organisation,
        referred_by: by,
        service_id,
        child: match child_id {
            Some(id) => Child::Existing(id),
            None => Child::New(child),
        },
        parent: parent.map(|p| (p, relationship)),
        urgency,
        reason,
        needs,
        share,
        send,
    };
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                let child_id = take_in(txn, &keys, intake, now).await?;
                audit::record_in(txn, entry.about(child_id)).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to(&format!("/referrals/{referral_id}")).into_response())
}
