//! Composing a message when it is sent: who it goes to, by which channel,
//! and its words from the current template. For a family's reminder this
//! is also the last check that it should go at all - the appointment is
//! still booked for the same time, the referral still open, consent not
//! withdrawn, the family not opted out - and the only place the family's
//! contact details are opened, so the outbox never holds them.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use convene_domain::messaging::delivery::Channel;
use convene_domain::messaging::reminders::{AtSendTime, Decision, decide};
use convene_domain::messaging::templates::{self as rules, MessageKind, reminder_channel};
use convene_domain::people::ContactPreference;
use convene_domain::people::sharing::{ConsentEvent, LawfulBasis};
use convene_domain::referrals::{AppointmentStatus, ReferralRole, ReferralState};
use convene_domain::sealing::DataKeys;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::outbox::Message;
use super::{opt_outs, settings, templates};
use crate::StoreError;
use crate::directory::services;
use crate::entities::{referral, referral_person};
use crate::people::{records, shares};
use crate::referrals::appointments;

/// A message ready for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    Ready(Ready),
    /// It should not go, for this reason.
    Skip(String),
    /// It cannot go (no keys to open the family's details, a template that
    /// no longer renders): staff see why.
    Fail(String),
}

/// The short reference staff see in notices: the end of the referral id,
/// which is its random part.
pub fn reference(referral: Uuid) -> String {
    let hex = referral.simple().to_string().to_uppercase();
    format!("R-{}", &hex[hex.len() - 8..])
}

/// `can_send`: the channels the provider delivers.
pub async fn compose<C: ConnectionTrait>(
    conn: &C,
    keys: Option<&DataKeys>,
    message: &Message,
    base_url: &str,
    can_send: &[Channel],
    now: DateTime<Utc>,
) -> Result<Composed, StoreError> {
    let Some(kind) = message.kind() else {
        return Ok(Composed::Fail(format!(
            "unknown kind of message {}",
            message.kind
        )));
    };
    match kind {
        MessageKind::Reminder | MessageKind::SensitiveReminder => {
            let Some(keys) = keys else {
                return Ok(Composed::Fail(
                    "the worker has no data keys to open the family's contact details".into(),
                ));
            };
            reminder(conn, keys, message, can_send, now).await
        }
        _ => notice(conn, kind, message, base_url).await,
    }
}

async fn notice<C: ConnectionTrait>(
    conn: &C,
    kind: MessageKind,
    message: &Message,
    base_url: &str,
) -> Result<Composed, StoreError> {
    let Some(id) = message.referral_id else {
        return Ok(Composed::Fail("the notice names no referral".into()));
    };
    let Some(row) = referral::Entity::find_by_id(id).one(conn).await? else {
        return Ok(Composed::Skip("the referral no longer exists".into()));
    };
    let service = services::row(conn, row.service_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let values = json!({
        "reference": reference(id),
        "link": format!("{}/referrals/{id}", base_url.trim_end_matches('/')),
        "service_name": service,
    });
    let template = templates::find(conn, kind, None).await?;
    Ok(match rules::render(kind, &template, &values) {
        Ok(text) => Composed::Ready(Ready {
            channel: Channel::Email,
            to: message.recipient.clone(),
            subject: text.subject,
            body: text.body,
        }),
        Err(error) => Composed::Fail(error.to_string()),
    })
}

async fn reminder<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    message: &Message,
    can_send: &[Channel],
    now: DateTime<Utc>,
) -> Result<Composed, StoreError> {
    let skip = |why: &str| Ok(Composed::Skip(why.to_string()));
    let (Some(appointment_id), Some(made_for), Some(referral_id)) = (
        message.appointment_id,
        message.appointment_starts_at,
        message.referral_id,
    ) else {
        return Ok(Composed::Fail("the reminder names no appointment".into()));
    };
    let Some(appointment) = appointments::get(conn, appointment_id).await? else {
        return skip("the appointment no longer exists");
    };
    let Some(row) = referral::Entity::find_by_id(referral_id).one(conn).await? else {
        return skip("the referral no longer exists");
    };
    let basis = shares::basis_for(conn, row.id, row.receiving_organisation_id).await?;
    let consent_withdrawn = basis == Some(LawfulBasis::Consent)
        && shares::consent_history(conn, row.subject_id).await?.last()
            == Some(&ConsentEvent::Withdrawn);
    // The parent or carer is the family's contact; else the person referred.
    let people = referral_person::Entity::find()
        .filter(referral_person::Column::ReferralId.eq(row.id))
        .all(conn)
        .await?;
    let contact = people
        .iter()
        .find(|p| p.role == ReferralRole::ParentOrCarer.code())
        .map_or(row.subject_id, |p| p.person_id);
    let Some(person) = records::get(conn, keys, contact).await? else {
        return skip("the family's record no longer exists");
    };
    if person.anonymised_at.is_some() {
        return skip("the family's record was anonymised");
    }
    // Anyone on the referral to be reached only through the referrer (the
    // child, say, where contact at home is unsafe) means no reminder to
    // anyone in the family.
    let mut child_language = None;
    for id in people.iter().map(|p| p.person_id).chain([row.subject_id]) {
        if id == contact {
            continue;
        }
        if let Some(other) = records::get(conn, keys, id).await? {
            if other.details.contact_preference == Some(ContactPreference::ThroughReferrer) {
                return skip("the family is contacted only through the referrer");
            }
            if id == row.subject_id {
                child_language = other.details.preferred_language;
            }
        }
    }
    let details = &person.details;
    let channel = match reminder_channel(
        details.phone.is_some(),
        details.email.is_some(),
        details.contact_preference,
        can_send,
    ) {
        Ok(channel) => channel,
        Err(why) => return skip(why),
    };
    let opted_out = opt_outs::any_opted_out(
        conn,
        &opt_outs::indexes_of(keys, details.phone.as_deref(), details.email.as_deref()),
    )
    .await?;
    let at = AtSendTime {
        still_booked: appointment.status == AppointmentStatus::Booked
            && appointment.starts_at > now
            && ReferralState::parse(&row.state) == Some(ReferralState::Accepted),
        same_time: appointment.starts_at == made_for,
        consent_withdrawn,
        opted_out,
    };
    if let Decision::Skip(why) = decide(at) {
        return skip(why);
    }
    let service = settings::of_service(conn, row.service_id).await?;
    let kind = if service.sensitive {
        MessageKind::SensitiveReminder
    } else {
        MessageKind::Reminder
    };
    let phone = match service.phone.clone() {
        Some(phone) => phone,
        None => crate::organisations::get(conn, row.receiving_organisation_id)
            .await?
            .and_then(|o| o.details.phone)
            .unwrap_or_else(|| "the service that booked it".to_string()),
    };
    let service_name = if service.name_allowed {
        services::row(conn, row.service_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default()
    } else {
        String::new()
    };
    let local = appointment.starts_at.with_timezone(&London);
    let values = json!({
        "first_name": details.given_name.split_whitespace().next().unwrap_or(""),
        "date": local.format("%A %-d %B").to_string(),
        "time": local.format("%-I:%M%P").to_string(),
        "phone": phone,
        "service_name": service_name,
    });
    // The contact's language, else the child's (the form asks for it).
    let language = details.preferred_language.clone().or(child_language);
    let template = templates::find(conn, kind, language.as_deref()).await?;
    let to = match channel {
        Channel::Sms => details.phone.clone(),
        Channel::Email => details.email.clone(),
    }
    .unwrap_or_default();
    let mut text = match rules::render(kind, &template, &values) {
        Ok(text) => text,
        Err(error) => return Ok(Composed::Fail(error.to_string())),
    };
    // Real names can be longer than the check's, or not in the GSM
    // alphabet: a text that runs past three messages goes without the
    // service's name, and if it is still too long, not at all.
    if channel == Channel::Sms && rules::sms_fragments(&text.body) > rules::MAX_SMS_FRAGMENTS {
        let mut shorter = values.clone();
        shorter["service_name"] = json!("");
        text = match rules::render(kind, &template, &shorter) {
            Ok(text) if rules::sms_fragments(&text.body) <= rules::MAX_SMS_FRAGMENTS => text,
            _ => {
                return Ok(Composed::Fail(
                    "the reminder would be longer than three text messages; shorten the template"
                        .into(),
                ));
            }
        };
    }
    Ok(Composed::Ready(Ready {
        channel,
        to,
        subject: text.subject,
        body: text.body,
    }))
}
