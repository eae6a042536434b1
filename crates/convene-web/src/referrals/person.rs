//! A person's page: their details, one chronology across organisations
//! (referrals, their moves, appointments and sharing decisions) showing only
//! the entries the visitor's organisations are entitled to, and who has
//! looked at the record. Every view is audited.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::directory::schedules::london_time;
use convene_domain::people::transitions::TransitionKind;
use convene_domain::referrals::ReferralState;
use convene_store::directory::services;
use convene_store::identity::accounts;
use convene_store::messaging::opt_outs;
use convene_store::people::Person;
use convene_store::people::records as people;
use convene_store::people::shares::{self, ShareKind};
use convene_store::people::transitions;
use convene_store::referrals::ReferralSummary;
use convene_store::referrals::appointments;
use convene_store::referrals::records;
use convene_store::{audit, organisations};
use uuid::Uuid;

use super::{Practitioner, field, pairs};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

pub struct Entry {
    pub at: DateTime<Utc>,
    pub when: String,
    pub what: String,
    pub link: Option<Uuid>,
}

pub struct Look {
    pub when: String,
    pub who: String,
    pub organisation: String,
}

#[derive(Template)]
#[template(path = "referrals/person.html")]
struct PersonPage {
    page: Page,
    id: Uuid,
    party: bool,
    lead: bool,
    anonymised: bool,
    merged_into: Option<Uuid>,
    duplicates: Vec<(Uuid, String)>,
    transitions: Vec<String>,
    schools: Vec<(Uuid, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    name: String,
    born: String,
    school: String,
    postcode: String,
    contact: String,
    /// The family asked (or replied STOP) for no more messages.
    stopped: bool,
    chronology: Vec<Entry>,
    looks: Vec<Look>,
}

fn local(at: DateTime<Utc>) -> String {
    london_time(at).format("%-d %B %Y at %H:%M").to_string()
}

/// How the visitor's organisation comes to see a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Entitlement {
    /// It recorded them, or is on a sent referral about them: it may read
    /// and record.
    Party,
    /// A school the child is moving to, with the family's consent: it may
    /// read their open referrals on the person's page, nothing more.
    MovingSchool,
}

/// The person, the visitor's organisation entitled to them, the referrals
/// about them it may see, and how it is entitled. A draft entitles no one
/// (choosing an existing record for a draft grants nothing until the
/// referral is sent with its sharing decision). Anyone else: 404.
pub(super) async fn entitled(
    state: &AppState,
    who: &Practitioner,
    id: Uuid,
) -> Result<(Person, Uuid, Vec<ReferralSummary>, Entitlement), AppError> {
    let conn = state.store.conn();
    let person = people::get(conn, &state.keys, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let on = |r: &ReferralSummary, org: Uuid| {
        r.state != ReferralState::Draft
            && (r.receiving_organisation_id == org || r.referring_organisation_id == Some(org))
    };
    let all = records::of_person(conn, id).await?;
    if let Some(organisation) = who
        .organisations
        .iter()
        .copied()
        .find(|org| all.iter().any(|r| on(r, *org)) || *org == person.recorded_by)
    {
        // Its own drafts too, once it is a party.
        let referrals = all
            .into_iter()
            .filter(|r| {
                who.organisations.iter().any(|org| {
                    r.receiving_organisation_id == *org || r.referring_organisation_id == Some(*org)
                })
            })
            .collect();
        return Ok((person, organisation, referrals, Entitlement::Party));
    }
    let joining = transitions::of_person(conn, id).await?;
    let organisation = who
        .organisations
        .iter()
        .copied()
        .find(|org| joining.iter().any(|t| t.to_organisation_id == *org))
        .ok_or(AppError::NotFound)?;
    let referrals = all.into_iter().filter(|r| r.state.is_open()).collect();
    Ok((person, organisation, referrals, Entitlement::MovingSchool))
}

/// As [`entitled`], for changes: a party only.
pub(super) async fn party(
    state: &AppState,
    who: &Practitioner,
    id: Uuid,
) -> Result<(Person, Uuid), AppError> {
    match entitled(state, who, id).await? {
        (person, organisation, _, Entitlement::Party) => Ok((person, organisation)),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "referrals/consent-recorded.html")]
struct Recorded {
    page: Page,
    id: Uuid,
    what: &'static str,
}

/// Records consent withdrawn or given again, or a decision not to share,
/// from the person's page.
pub async fn record_consent(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (_, organisation) = party(&state, &who, id).await?;
    let values = pairs(&body);
    let (kind, what) = match field(&values, "decision").as_str() {
        "withdrawn" => (
            ShareKind::ConsentWithdrawn,
            "Consent withdrawn: nothing more will be sent on the basis of consent.",
        ),
        "given" => (ShareKind::ConsentGiven, "Consent given."),
        "not_shared" => (ShareKind::NotShared, "Decision not to share recorded."),
        _ => return Err(AppError::BadRequest("choose what to record".into())),
    };
    let reasons = field(&values, "reasons");
    if reasons.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "the reasons must be 2000 characters or fewer".into(),
        ));
    }
    let reasons = Some(reasons).filter(|r| !r.is_empty());
    let (keys, now, by) = (
        state.keys.clone(),
        state.clock.now(),
        who.visitor.account.id,
    );
    let entry = who
        .visitor
        .audit(AuditAction::SharingRecorded, &state, &address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(id)
        .because(kind.code());
    let recorded = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                shares::record_decision(
                    txn,
                    &keys,
                    id,
                    None,
                    kind,
                    reasons.as_deref(),
                    by,
                    organisation,
                    now,
                )
                .await?;
                audit::record_in(txn, entry).await
            })
        })
        .await;
    match recorded {
        Ok(_) => Ok(Html(Recorded { page, id, what }.render()?).into_response()),
        Err(convene_store::StoreError::Refused(reason)) => Err(AppError::BadRequest(reason)),
        Err(other) => Err(other.into()),
    }
}

/// Stops (or starts again) reminders and other messages to the person's
/// phone and email, as the family asked a member of staff. Audited.
pub async fn set_messages(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (person, organisation) = party(&state, &who, id).await?;
    let values = pairs(&body);
    let stop = match field(&values, "messages").as_str() {
        "stop" => true,
        "start" => false,
        _ => {
            return Err(AppError::BadRequest(
                "choose whether to stop or start messages".into(),
            ));
        }
    };
    let d = &person.details;
    let indexes = opt_outs::indexes_of(&state.keys, d.phone.as_deref(), d.email.as_deref());
    if indexes.is_empty() {
        return Err(AppError::BadRequest(
            "there is no phone number or email address to stop messages to".into(),
        ));
    }
    let (now, by) = (state.clock.now(), who.visitor.account.id);
    let entry = who
        .visitor
        .audit(AuditAction::MessagesStopped, &state, &address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(id)
        .because(if stop {
            "stopped by staff"
        } else {
            "started again by staff"
        });
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                if stop {
                    opt_outs::opt_out(txn, &indexes, "staff", Some(by), now).await?;
                } else {
                    opt_outs::opt_in(txn, &indexes).await?;
                }
                audit::record_in(txn, entry).await
            })
        })
        .await?;
    let what = if stop {
        "Messages stopped: no more reminders will be sent to their phone or email."
    } else {
        "Messages started again: reminders will be sent."
    };
    Ok(Html(Recorded { page, id, what }.render()?).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let (person, organisation, referrals, entitlement) = entitled(&state, &who, id).await?;
    let on_a_side = |r: &ReferralSummary| {
        who.organisations.iter().any(|org| {
            r.receiving_organisation_id == *org || r.referring_organisation_id == Some(*org)
        })
    };
    let mut chronology = Vec::new();
    for summary in &referrals {
        let link = on_a_side(summary).then_some(summary.id);
        let service = services::row(conn, summary.service_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        for event in records::events(conn, &state.keys, summary.id).await? {
            let by = match event.by_organisation {
                Some(org) => organisations::get(conn, org)
                    .await?
                    .map(|o| o.details.name)
                    .unwrap_or_default(),
                None => "the family".to_string(),
            };
            chronology.push(Entry {
                at: event.at,
                when: local(event.at),
                what: format!(
                    "Referral to {service}: {} by {by}",
                    event.to.label().to_lowercase()
                ),
                link,
            });
        }
        for appointment in appointments::of_referral(conn, summary.id).await? {
            chronology.push(Entry {
                at: appointment.starts_at,
                when: local(appointment.starts_at),
                what: format!(
                    "Appointment with {service}: {}",
                    appointment.status.label().to_lowercase()
                ),
                link,
            });
        }
    }
    let visible_referrals: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    for entry in shares::history(conn, &state.keys, id).await? {
        let entitled = who.organisations.contains(&entry.decided_by_organisation)
            || entry
                .referral_id
                .is_some_and(|r| visible_referrals.contains(&r));
        if !entitled {
            continue;
        }
        let what = match entry.kind {
            ShareKind::Shared => format!(
                "Details shared on the basis of {}",
                entry
                    .basis
                    .map(|b| b.label().to_lowercase())
                    .unwrap_or_default()
            ),
            ShareKind::NotShared => "Decided not to share".to_string(),
            ShareKind::ConsentGiven => "Consent given".to_string(),
            ShareKind::ConsentWithdrawn => "Consent withdrawn".to_string(),
        };
        chronology.push(Entry {
            at: entry.decided_at,
            when: local(entry.decided_at),
            what,
            link: entry
                .referral_id
                .filter(|r| referrals.iter().any(|s| s.id == *r && on_a_side(s))),
        });
    }
    chronology.sort_by_key(|e| std::cmp::Reverse(e.at));

    // Record this view first, so it is on the list too.
    let entry = who
        .visitor
        .audit(AuditAction::RecordViewed, &state, &address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(id);
    audit::record(&state.store, entry).await?;
    let mut looks = Vec::new();
    for event in audit::views_of_person(conn, id).await? {
        let who_name = match event.entry.actor_user_id {
            Some(user) => accounts::get(conn, user)
                .await?
                .map(|a| a.display_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let organisation = match event.entry.actor_organisation_id {
            Some(org) => organisations::get(conn, org)
                .await?
                .map(|o| o.details.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        looks.push(Look {
            when: local(event.entry.at),
            who: who_name,
            organisation,
        });
    }
    let d = &person.details;
    let party_here = entitlement == Entitlement::Party;
    let lead = party_here
        && who
            .visitor
            .principal
            .roles_in(organisation)
            .any(|r| r == convene_domain::identity::Role::SafeguardingLead);
    // Likely duplicates the visitor may also see, for a lead to merge.
    let mut duplicates = Vec::new();
    if lead && person.merged_into.is_none() {
        for other in
            people::possible_duplicates(conn, &state.keys, &person.details, Some(id)).await?
        {
            if party(&state, &who, other.id).await.is_ok() {
                let recorded = organisations::get(conn, other.recorded_by)
                    .await?
                    .map(|o| o.details.name)
                    .unwrap_or_default();
                duplicates.push((
                    other.id,
                    format!(
                        "{}, recorded by {recorded} on {}",
                        other.details.full_name(),
                        local(other.created_at)
                    ),
                ));
            }
        }
    }
    let mut transitions_shown = Vec::new();
    for t in transitions::of_person(conn, id).await? {
        let school = organisations::get(conn, t.to_organisation_id)
            .await?
            .map(|o| o.details.name)
            .unwrap_or_default();
        transitions_shown.push(format!(
            "{}: moving to {school} (flagged {})",
            t.kind.label(),
            local(t.flagged_at)
        ));
    }
    let schools = organisations::list(conn)
        .await?
        .into_iter()
        .filter(|o| {
            o.details.kind == convene_domain::organisations::OrganisationKind::School
                && o.id != organisation
        })
        .map(|o| (o.id, o.details.name))
        .collect();
    let body = PersonPage {
        page,
        id,
        party: party_here,
        transitions: transitions_shown,
        schools,
        kinds: TransitionKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        merged_into: person.merged_into,
        duplicates,
        lead,
        anonymised: person.anonymised_at.is_some(),
        name: d.full_name(),
        born: d
            .date_of_birth
            .map(|b| b.format("%-d %B %Y").to_string())
            .unwrap_or_default(),
        school: d.school.clone().unwrap_or_default(),
        postcode: d
            .postcode
            .as_ref()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        stopped: opt_outs::any_opted_out(
            conn,
            &opt_outs::indexes_of(&state.keys, d.phone.as_deref(), d.email.as_deref()),
        )
        .await?,
        contact: [d.phone.clone(), d.email.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        chronology,
        looks,
    }
    .render()?;
    Ok(Html(body).into_response())
}

/// Flags a key transition to another school, with the family's consent.
pub async fn flag_transition(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (_, organisation) = party(&state, &who, id).await?;
    let values = pairs(&body);
    let kind = TransitionKind::parse(&field(&values, "kind"))
        .ok_or_else(|| AppError::BadRequest("choose the kind of move".into()))?;
    let school = Uuid::parse_str(&field(&values, "school"))
        .ok()
        .ok_or_else(|| AppError::BadRequest("choose the school they are moving to".into()))?;
    organisations::get(state.store.conn(), school)
        .await?
        .filter(|o| o.details.kind == convene_domain::organisations::OrganisationKind::School)
        .ok_or_else(|| AppError::BadRequest("choose the school they are moving to".into()))?;
    if field(&values, "consent") != "yes" {
        return Err(AppError::BadRequest(
            "the family must agree before the new school can see their open referrals".into(),
        ));
    }
    let (now, by) = (state.clock.now(), who.visitor.account.id);
    let entry = who
        .visitor
        .audit(AuditAction::SharingRecorded, &state, &address)
        .by_organisation(Some(organisation))
        .on("person", id)
        .about(id)
        .because(format!("transition to {school}"));
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                transitions::flag(txn, id, kind, school, (by, organisation), now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await?;
    Ok(axum::response::Redirect::to(&format!("/people/{id}")).into_response())
}
