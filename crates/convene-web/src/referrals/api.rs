//! Referrals in the JSON API (`/api/v1/referrals`), for partners' systems:
//! create (and send), read, move through their states, book appointments
//! and record attendance. Every `POST` honours an `Idempotency-Key`: the
//! same key with the same request replays the first answer; the same key
//! with a different request is refused.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::directory::schedules::london_time;
use convene_domain::directory::taxonomy;
use convene_domain::ids::new_id;
use convene_domain::people::households::Relationship;
use convene_domain::people::sharing::{ShareForm, check_share};
use convene_domain::people::{PersonForm, check_person};
use convene_domain::referrals::{AppointmentChange, AppointmentMode, Outcome, Transition, Urgency};
use convene_domain::text::ValidationErrors;
use convene_store::directory::services;
use convene_store::referrals::ListWindow;
use convene_store::referrals::appointments::{self, Booking};
use convene_store::referrals::intake::{Child, Intake, take_in};
use convene_store::referrals::records::{self, Actor};
use convene_store::{StoreError, audit};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::idempotent::keyed;
use super::{Practitioner, visible};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::state::AppState;

fn invalid(errors: ValidationErrors) -> AppError {
    AppError::Invalid(errors)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, AppError> {
    serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid: {e}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    given_name: String,
    family_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    contact_preference: String,
    #[serde(default)]
    preferred_language: String,
    #[serde(default)]
    school: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    relationship: String,
}

impl PersonIn {
    fn form(&self) -> PersonForm {
        PersonForm {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            date_of_birth: self.date_of_birth.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            contact_preference: self.contact_preference.clone(),
            preferred_language: self.preferred_language.clone(),
            school: self.school.clone(),
            postcode: self.postcode.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingIn {
    basis: String,
    items: Vec<String>,
    purpose: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    health_condition: String,
    privacy_notice_version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralIn {
    organisation_id: Option<Uuid>,
    service_id: Uuid,
    /// A child already on record, instead of `child`.
    child_id: Option<Uuid>,
    child: Option<PersonIn>,
    parent: Option<PersonIn>,
    #[serde(default)]
    needs: Vec<String>,
    reason: String,
    urgency: String,
    sharing: SharingIn,
    #[serde(default)]
    send: bool,
}

pub async fn create(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let input: ReferralIn = parse(&body)?;
    let organisation = match (input.organisation_id, who.organisations.as_slice()) {
        (Some(id), orgs) if orgs.contains(&id) => id,
        (None, [only]) => *only,
        _ => {
            return Err(AppError::BadRequest(
                "organisation_id must name one of your organisations".into(),
            ));
        }
    };
    let service = services::row(state.store.conn(), input.service_id)
        .await?
        .filter(|s| s.status == "active")
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let today = london_time(now).date();
    let mut errors = ValidationErrors::default();
    let child = match (&input.child, input.child_id) {
        (Some(child), None) => match check_person(&child.form(), today, true) {
            Ok(details) => Some(Child::New(details)),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        },
        // Only someone the organisation already works with: an id alone
        // must not open another organisation's record.
        (None, Some(id)) => match super::person::party(&state, &who, id).await {
            Ok(_) => Some(Child::Existing(id)),
            Err(_) => {
                errors.add("child_id", "No such child among the people you work with");
                None
            }
        },
        _ => {
            errors.add("child", "Give either child or child_id");
            None
        }
    };
    let parent = match &input.parent {
        Some(parent) => match check_person(&parent.form(), today, false) {
            Ok(details) => Some((
                details,
                Relationship::parse(&parent.relationship)
                    .filter(|r| r.is_parent_or_carer())
                    .unwrap_or(Relationship::Parent),
            )),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        },
        None => None,
    };
    let reason = convene_domain::text::required_multiline(
        &mut errors,
        "reason",
        "the reason for the referral",
        &input.reason,
        2000,
    );
    let urgency = Urgency::parse(&input.urgency);
    if urgency.is_none() {
        errors.add("urgency", "urgency must be routine, soon or urgent");
    }
    let mut needs = Vec::new();
    for code in &input.needs {
        match taxonomy::NEEDS.iter().find(|(c, _, _)| c == code) {
            Some(_) => needs.push(taxonomy::need_id(code)),
            None => errors.add("needs", format!("{code:?} is not a need Convene knows")),
        }
    }
    let share = check_share(
        &ShareForm {
            basis: input.sharing.basis.clone(),
            health_condition: input.sharing.health_condition.clone(),
            purpose: input.sharing.purpose.clone(),
            items: input.sharing.items.clone(),
            justification: input.sharing.justification.clone(),
            privacy_notice_version: input.sharing.privacy_notice_version.clone(),
        },
        service.organisation_id,
        who.visitor.account.id,
        now,
    );
    if let Err(e) = &share {
        errors.0.extend(e.0.clone());
    }
    let (Some(child), Some(urgency), Ok(share), true) = (child, urgency, share, errors.is_empty())
    else {
        return Err(invalid(errors));
    };
    let referral_id = new_id();
    let intake = Intake {
        referral_id,
        organisation,
        referred_by: who.visitor.account.id,
        service_id: input.service_id,
        child,
        parent,
        urgency,
        reason,
        needs,
        share,
        send: input.send,
    };
    let keys = state.keys.clone();
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(organisation))
        .on("referral", referral_id)
        .because(if input.send {
            "created and sent (api)"
        } else {
            "created as a draft (api)"
        });
    keyed(
        &state,
        who.visitor.account.id,
        &headers,
        "POST /api/v1/referrals".into(),
        &body,
        move |txn| {
            Box::pin(async move {
                let child_id = take_in(txn, &keys, intake, now).await?;
                audit::record_in(txn, entry.about(child_id)).await?;
                let made = records::get(txn, &keys, referral_id).await?.ok_or(StoreError::NotFound)?;
                Ok((201, json!({ "id": referral_id, "state": made.state.code(), "version": made.version })))
            })
        },
    )
    .await
}

fn referral_json(r: &convene_store::referrals::Referral) -> Value {
    json!({
        "id": r.id,
        "service_id": r.service_id,
        "receiving_organisation_id": r.receiving_organisation_id,
        "referring_organisation_id": r.referring_organisation_id,
        "subject_id": r.subject_id,
        "people": r.people.iter().map(|(id, role)| json!({ "id": id, "role": role.code() })).collect::<Vec<_>>(),
        "state": r.state.code(),
        "urgency": r.urgency.code(),
        "reason": r.reason,
        "decline_reason": r.decline_reason,
        "redirected_to": r.redirected_to,
        "redirected_from": r.redirected_from,
        "outcome": r.outcome.map(|o| o.code()),
        "needs": r.needs,
        "created_at": r.created_at,
        "sent_at": r.sent_at,
        "closed_at": r.closed_at,
        "version": r.version,
    })
}

pub async fn get(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, AppError> {
    let seen = visible(&state, &who, id).await?;
    let entry = who
        .visitor
        .audit(AuditAction::RecordViewed, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("referral", id)
        .about(seen.referral.subject_id)
        .because("api");
    audit::record(&state.store, entry).await?;
    let mut body = referral_json(&seen.referral);
    let appointments: Vec<Value> = appointments::of_referral(state.store.conn(), id)
        .await?
        .iter()
        .map(|a| {
            json!({ "id": a.id, "starts_at": a.starts_at, "duration_minutes": a.duration_minutes,
                    "mode": a.mode.code(), "place": a.place, "status": a.status.code(), "version": a.version })
        })
        .collect();
    body["appointments"] = Value::Array(appointments);
    Ok(Json(body))
}

/// Which page of the lists: `?page=2&per_page=50`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Most referrals a page of a list holds.
const MOST_PER_PAGE: u64 = 200;

/// For each of the token's organisations, a page of what it received and
/// of what it made, newest change first, with each list's total.
pub async fn list(
    State(state): State<AppState>,
    who: Practitioner,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(50);
    if page == 0 || page > 1_000_000 {
        return Err(AppError::BadRequest(
            "page: give a page from 1 to 1000000".into(),
        ));
    }
    if !(1..=MOST_PER_PAGE).contains(&per_page) {
        return Err(AppError::BadRequest(format!(
            "per_page: give a number from 1 to {MOST_PER_PAGE}"
        )));
    }
    let window = ListWindow { page, per_page };
    let conn = state.store.conn();
    let line = |s: &convene_store::referrals::ReferralSummary| {
        json!({ "id": s.id, "service_id": s.service_id, "state": s.state.code(),
                "urgency": s.urgency.code(), "sent_at": s.sent_at, "updated_at": s.updated_at })
    };
    let mut organisations = Vec::new();
    for organisation in &who.organisations {
        let received = records::inbox(conn, *organisation, window).await?;
        let sent = records::outgoing(conn, *organisation, window).await?;
        organisations.push(json!({
            "organisation_id": organisation,
            "received": received.referrals.iter().map(line).collect::<Vec<_>>(),
            "received_total": received.total,
            "sent": sent.referrals.iter().map(line).collect::<Vec<_>>(),
            "sent_total": sent.total,
        }));
    }
    Ok(Json(
        json!({ "page": page, "per_page": per_page, "organisations": organisations }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    transition: String,
    version: i64,
    #[serde(default)]
    reason: String,
    to_service: Option<Uuid>,
    outcome: Option<String>,
}

pub async fn transition(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let seen = visible(&state, &who, id).await?;
    let input: TransitionIn = parse(&body)?;
    let transition = match input.transition.as_str() {
        "send" => Transition::Send,
        "open" => Transition::Open,
        "accept" => Transition::Accept,
        "decline" => Transition::Decline { reason: input.reason.clone() },
        "redirect" => Transition::Redirect {
            to_service: input.to_service.ok_or_else(|| AppError::BadRequest("to_service is needed".into()))?,
            reason: input.reason.clone(),
        },
        "close" => Transition::Close {
            outcome: input
                .outcome
                .as_deref()
                .and_then(Outcome::parse)
                .ok_or_else(|| AppError::BadRequest("outcome must be one of needs_met, partly_met, not_met, family_withdrew, could_not_contact".into()))?,
        },
        other => return Err(AppError::BadRequest(format!("{other:?} is not a transition"))),
    };
    let (keys, now, version) = (state.keys.clone(), state.clock.now(), input.version);
    let actor = Actor {
        user: Some(who.visitor.account.id),
        organisation: seen.organisation,
    };
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("referral", id)
        .about(seen.referral.subject_id)
        .because(format!("{} (api)", transition.name()));
    keyed(
        &state,
        who.visitor.account.id,
        &headers,
        format!("POST /api/v1/referrals/{id}/transitions"),
        &body,
        move |txn| {
            Box::pin(async move {
                let to = records::apply(txn, &keys, id, version, &transition, actor, now).await?;
                audit::record_in(txn, entry).await?;
                Ok((
                    200,
                    json!({ "id": id, "state": to.code(), "version": version + 1 }),
                ))
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingIn {
    starts_at: DateTime<Utc>,
    duration_minutes: u32,
    mode: String,
    place: Option<String>,
}

pub async fn book(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let seen = visible(&state, &who, id).await?;
    if seen.side != convene_domain::referrals::Side::Receiver {
        return Err(AppError::BadRequest(
            "only the receiving service books appointments".into(),
        ));
    }
    let input: BookingIn = parse(&body)?;
    let mode = AppointmentMode::parse(&input.mode)
        .ok_or_else(|| AppError::BadRequest("mode must be in_person, online or phone".into()))?;
    let booking = Booking {
        id: new_id(),
        referral_id: id,
        starts_at: input.starts_at,
        duration_minutes: input.duration_minutes,
        mode,
        place: input.place.map(|p| p.chars().take(200).collect()),
        booked_by: who.visitor.account.id,
    };
    let now = state.clock.now();
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("referral", id)
        .about(seen.referral.subject_id)
        .because("appointment booked (api)");
    keyed(
        &state,
        who.visitor.account.id,
        &headers,
        format!("POST /api/v1/referrals/{id}/appointments"),
        &body,
        move |txn| {
            Box::pin(async move {
                appointments::book(txn, &booking, now).await?;
                audit::record_in(txn, entry).await?;
                Ok((
                    201,
                    json!({ "id": booking.id, "status": "booked", "version": 1 }),
                ))
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeIn {
    change: String,
    version: i64,
    to: Option<DateTime<Utc>>,
}

pub async fn change(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path((id, appointment_id)): Path<(Uuid, Uuid)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let seen = visible(&state, &who, id).await?;
    appointments::get(state.store.conn(), appointment_id)
        .await?
        .filter(|a| a.referral_id == id)
        .ok_or(AppError::NotFound)?;
    if seen.side != convene_domain::referrals::Side::Receiver {
        return Err(AppError::BadRequest(
            "only the receiving service records appointments".into(),
        ));
    }
    let input: ChangeIn = parse(&body)?;
    let change = match input.change.as_str() {
        "attended" => AppointmentChange::Attended,
        "did_not_attend" => AppointmentChange::DidNotAttend,
        "was_not_brought" => AppointmentChange::WasNotBrought,
        "cancelled_by_family" => AppointmentChange::Cancel { by_family: true },
        "cancelled_by_service" => AppointmentChange::Cancel { by_family: false },
        "reschedule" => AppointmentChange::Reschedule {
            to: input
                .to
                .ok_or_else(|| AppError::BadRequest("to is needed to reschedule".into()))?,
        },
        other => return Err(AppError::BadRequest(format!("{other:?} is not a change"))),
    };
    let (now, version) = (state.clock.now(), input.version);
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("appointment", appointment_id)
        .about(seen.referral.subject_id)
        .because(format!("{} (api)", input.change));
    keyed(
        &state,
        who.visitor.account.id,
        &headers,
        format!("POST /api/v1/referrals/{id}/appointments/{appointment_id}"),
        &body,
        move |txn| {
            Box::pin(async move {
                let status = appointments::change(txn, appointment_id, version, change, now).await?;
                audit::record_in(txn, entry).await?;
                Ok((200, json!({ "id": appointment_id, "status": status.code(), "version": version + 1 })))
            })
        },
    )
    .await
}
