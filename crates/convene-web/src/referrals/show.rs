//! A referral's page: who and what it is about, where it has got to, the
//! sharing record, appointments and follow-ups, and the moves open to the
//! side the visitor is on. The receiving service opening it for the first
//! time marks it opened; every view is audited.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::directory::schedules::london_time;
use convene_domain::directory::taxonomy;
use convene_domain::messaging::delivery::Channel;
use convene_domain::messaging::templates::MessageKind;
use convene_domain::referrals::{
    AppointmentMode, AppointmentStatus, Outcome, ReferralRole, ReferralState, Side, Transition,
};
use convene_store::directory::services;
use convene_store::people::records as people;
use convene_store::people::shares::{self, ShareEntry, ShareKind};
use convene_store::referrals::Referral;
use convene_store::referrals::appointments::{self, Appointment};
use convene_store::referrals::follow_ups::{self, FollowUp};
use convene_store::referrals::intake;
use convene_store::referrals::records::{self, Actor, ReferralEvent};
use convene_store::{StoreError, audit, organisations};
use uuid::Uuid;

use super::{Practitioner, Visible, field, pairs, visible};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

pub struct PersonView {
    pub id: Uuid,
    pub name: String,
    pub role: &'static str,
    pub born: String,
    pub contact: String,
}

pub struct EventView {
    pub at: String,
    pub what: String,
    pub by: String,
    pub detail: Option<String>,
}

#[derive(Template)]
#[template(path = "referrals/show.html")]
struct ShowPage {
    page: Page,
    id: Uuid,
    version: i64,
    side: Side,
    state: ReferralState,
    urgency: &'static str,
    service_name: String,
    service_id: Uuid,
    provider: String,
    referrer: String,
    people: Vec<PersonView>,
    reason: String,
    needs: Vec<String>,
    decline_reason: Option<String>,
    outcome: Option<&'static str>,
    redirected_to: Option<Uuid>,
    redirected_from: Option<Uuid>,
    events: Vec<EventView>,
    shares: Vec<ShareEntry>,
    appointments: Vec<Appointment>,
    follow_ups: Vec<FollowUp>,
    messages: Vec<MessageView>,
    onward: Vec<(Uuid, String)>,
    outcomes: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
    status_is_error: bool,
    now: DateTime<Utc>,
}

impl ShowPage {
    fn local(&self, at: &DateTime<Utc>) -> String {
        london_time(*at).format("%-d %B %Y at %H:%M").to_string()
    }

    fn share_line(&self, entry: &ShareEntry) -> String {
        match entry.kind {
            ShareKind::Shared => format!(
                "Shared ({}) on the basis of {}",
                entry
                    .items
                    .iter()
                    .map(|i| i.code().replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", "),
                entry
                    .basis
                    .map(|b| b.label())
                    .unwrap_or("an unrecorded basis")
            ),
            ShareKind::NotShared => "Decided not to share".to_string(),
            ShareKind::ConsentGiven => "Consent given".to_string(),
            ShareKind::ConsentWithdrawn => "Consent withdrawn".to_string(),
        }
    }

    fn can(&self, what: &str) -> bool {
        use ReferralState as S;
        matches!(
            (what, self.side, self.state),
            ("send", Side::Referrer, S::Draft)
                | ("respond", Side::Receiver, S::Sent | S::Opened)
                | ("book", Side::Receiver, S::Accepted)
                | ("close", Side::Receiver, S::Accepted)
                | ("close", Side::Referrer, S::Declined | S::Redirected)
                | ("withdraw", _, S::Sent | S::Opened)
        )
    }
}

/// The names of the organisations a referral page mentions, read at once.
struct OrganisationNames(HashMap<Uuid, String>);

impl OrganisationNames {
    async fn read(
        state: &AppState,
        referral: &Referral,
        events: &[ReferralEvent],
    ) -> Result<Self, AppError> {
        let mut ids: Vec<Uuid> = events.iter().filter_map(|e| e.by_organisation).collect();
        ids.push(referral.receiving_organisation_id);
        ids.extend(referral.referring_organisation_id);
        ids.sort_unstable();
        ids.dedup();
        Ok(Self(organisations::names(state.store.conn(), &ids).await?))
    }

    fn of(&self, id: Option<Uuid>) -> String {
        match id {
            Some(id) => self.0.get(&id).cloned().unwrap_or_default(),
            None => "The family (self-referral)".to_string(),
        }
    }
}

pub async fn render(
    state: &AppState,
    page: Page,
    who: &Practitioner,
    seen: Visible,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let referral = seen.referral;
    let service = services::row(conn, referral.service_id).await?;
    let mut people_views = Vec::new();
    for (person_id, role) in &referral.people {
        if let Some(person) = people::get(conn, &state.keys, *person_id).await? {
            let d = &person.details;
            let contact = [d.phone.clone(), d.email.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            people_views.push(PersonView {
                id: *person_id,
                name: d.full_name(),
                role: match role {
                    ReferralRole::Subject => "Child or young person",
                    ReferralRole::ParentOrCarer => "Parent or carer",
                },
                born: d
                    .date_of_birth
                    .map(|b| b.format("%-d %B %Y").to_string())
                    .unwrap_or_default(),
                contact,
            });
        }
    }
    let history = records::events(conn, &state.keys, referral.id).await?;
    let names = OrganisationNames::read(state, &referral, &history).await?;
    let events = history.iter().map(|e| event_view(&names, e)).collect();
    let shares = shares::history(conn, &state.keys, referral.subject_id)
        .await?
        .into_iter()
        // This referral's sharing record, and consent decisions the
        // visitor's own organisation recorded: never another's reasons.
        .filter(|s| {
            s.referral_id == Some(referral.id)
                || (s.referral_id.is_none() && s.decided_by_organisation == seen.organisation)
        })
        .collect();
    let onward = if seen.side == Side::Receiver {
        intake::intakes_of_organisation(conn, referral.receiving_organisation_id)
            .await?
            .into_iter()
            .filter(|s| s.id != referral.service_id)
            .map(|s| (s.id, s.name))
            .collect()
    } else {
        Vec::new()
    };
    let body = ShowPage {
        page,
        id: referral.id,
        version: referral.version,
        side: seen.side,
        state: referral.state,
        urgency: referral.urgency.label(),
        service_name: service.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        service_id: referral.service_id,
        provider: names.of(Some(referral.receiving_organisation_id)),
        referrer: names.of(referral.referring_organisation_id),
        people: people_views,
        reason: referral.reason.clone(),
        needs: referral
            .needs
            .iter()
            .filter_map(|id| {
                taxonomy::NEEDS
                    .iter()
                    .find(|(code, _, _)| taxonomy::need_id(code) == *id)
                    .map(|(_, name, _)| name.to_string())
            })
            .collect(),
        decline_reason: referral.decline_reason.clone(),
        outcome: referral.outcome.map(Outcome::label),
        redirected_to: referral.redirected_to,
        redirected_from: referral.redirected_from,
        events,
        shares,
        appointments: appointments::of_referral(conn, referral.id).await?,
        follow_ups: follow_ups::of_referral(conn, referral.id)
            .await?
            .into_iter()
            .filter(|f| {
                f.organisation_id == seen.organisation
                    && super::may_see_follow_up(who, seen.organisation, f.kind)
            })
            .collect(),
        messages: messages_of(state, referral.id, seen.side).await?,
        onward,
        outcomes: Outcome::ALL.iter().map(|o| (o.code(), o.label())).collect(),
        status_is_error: !errors.is_empty(),
        errors,
        now: state.clock.now(),
    };
    let status = if body.status_is_error {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(body.render()?)).into_response())
}

/// A message about the referral: what it was, how it went, and what
/// became of it. Never its text or the family's address.
pub struct MessageView {
    what: &'static str,
    how: &'static str,
    when: String,
    status: &'static str,
    colour: &'static str,
    reason: Option<String>,
}

/// Whether the visitor's side of the referral sees messages of `kind`:
/// the service its reminders to the family and its own notices, the
/// referrer the notices sent to it. Overdue follow-ups are each
/// organisation's own business and are not listed.
fn shown_to(side: Side, kind: Option<MessageKind>) -> bool {
    use MessageKind as K;
    match kind {
        Some(K::Reminder | K::SensitiveReminder | K::ReferralReceived) => side == Side::Receiver,
        Some(K::ReferralAccepted | K::ReferralDeclined | K::DidNotAttend) => side == Side::Referrer,
        Some(K::FollowUpOverdue) | None => false,
    }
}

async fn messages_of(
    state: &AppState,
    referral: Uuid,
    side: Side,
) -> Result<Vec<MessageView>, AppError> {
    let messages =
        convene_store::messaging::outbox::of_referral(state.store.conn(), referral).await?;
    Ok(messages
        .into_iter()
        .filter(|m| shown_to(side, m.kind()))
        .map(|m| {
            let (status, colour) = match m.status.as_str() {
                "queued" if m.attempts > 0 => ("Trying again", "yellow"),
                "queued" => ("Waiting to send", "grey"),
                "sent" => ("Sent", "blue"),
                "delivered" => ("Delivered", "green"),
                "undelivered" => ("Not delivered", "red"),
                "failed" => ("Could not send", "red"),
                _ => ("Not sent", "grey"),
            };
            let at = m.delivered_at.or(m.sent_at).unwrap_or(m.next_attempt_at);
            MessageView {
                what: m.kind().map_or("Message", |k| k.label()),
                how: Channel::parse(&m.channel).map_or("Text or email", Channel::label),
                when: london_time(at).format("%-d %B %Y, %H:%M").to_string(),
                status,
                colour,
                reason: m.last_error,
            }
        })
        .collect())
}

fn event_view(names: &OrganisationNames, event: &ReferralEvent) -> EventView {
    let what = match (event.transition.as_str(), event.to) {
        ("create", ReferralState::Draft) => "Drafted".to_string(),
        ("create", ReferralState::Sent) => "Received".to_string(),
        (_, to) => to.label().to_string(),
    };
    EventView {
        at: london_time(event.at)
            .format("%-d %B %Y at %H:%M")
            .to_string(),
        what,
        by: names.of(event.by_organisation),
        detail: event.detail.clone(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let mut seen = visible(&state, &who, id).await?;
    // The receiving service's first look marks the referral opened.
    if seen.side == Side::Receiver && seen.referral.state == ReferralState::Sent {
        let (keys, version, now) = (state.keys.clone(), seen.referral.version, state.clock.now());
        let actor = Actor {
            user: Some(who.visitor.account.id),
            organisation: seen.organisation,
        };
        let opened = state
            .store
            .transaction(move |txn| {
                Box::pin(async move {
                    records::apply(txn, &keys, id, version, &Transition::Open, actor, now).await
                })
            })
            .await;
        match opened {
            Ok(_) | Err(StoreError::Refused(_)) => {}
            Err(other) => return Err(other.into()),
        }
        seen = visible(&state, &who, id).await?;
    }
    let entry = who
        .visitor
        .audit(AuditAction::RecordViewed, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("referral", id)
        .about(seen.referral.subject_id);
    audit::record(&state.store, entry).await?;
    render(&state, page, &who, seen, FormErrors::default()).await
}

/// A move on the referral from its page.
pub async fn move_on(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    let seen = visible(&state, &who, id).await?;
    let values = pairs(&body);
    let version: i64 = field(&values, "version").parse().unwrap_or(-1);
    let transition = match field(&values, "transition").as_str() {
        "send" => Transition::Send,
        "accept" => Transition::Accept,
        "decline" => Transition::Decline {
            reason: field(&values, "reason"),
        },
        "redirect" => match Uuid::parse_str(&field(&values, "to_service")) {
            Ok(to_service) => Transition::Redirect {
                to_service,
                reason: field(&values, "reason"),
            },
            Err(_) => {
                let errors = FormErrors::one("to_service", "Choose the service to pass it to");
                return render(&state, page, &who, seen, errors).await;
            }
        },
        "close" => match Outcome::parse(&field(&values, "outcome")) {
            Some(outcome) => Transition::Close { outcome },
            None => {
                let errors = FormErrors::one("outcome", "Choose the outcome");
                return render(&state, page, &who, seen, errors).await;
            }
        },
        _ => return Err(AppError::BadRequest("unknown action".into())),
    };
    let name = transition.name();
    let (keys, now) = (state.keys.clone(), state.clock.now());
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
        .because(name);
    let moved = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                records::apply(txn, &keys, id, version, &transition, actor, now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await;
    match moved {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
        Err(StoreError::Refused(reason)) => {
            let field_name = match name {
                "decline" | "redirect" => "reason",
                "close" => "outcome",
                _ => "transition",
            };
            let seen = visible(&state, &who, id).await?;
            render(
                &state,
                page,
                &who,
                seen,
                FormErrors::one(field_name, reason),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
