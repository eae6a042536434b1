//! The facts behind referral measures, read for the referrals an
//! organisation received or made.

use chrono::{DateTime, Utc};
use convene_domain::referrals::measures::{ReferralFacts, ReminderEffect};
use convene_domain::referrals::{AppointmentStatus, ReferralState};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{appointment, outbox_message, referral, referral_event, service};

/// Which referrals: those an organisation received, or made.
#[derive(Debug, Clone, Copy)]
pub enum Side {
    Received(Uuid),
    Made(Uuid),
}

pub async fn facts<C: ConnectionTrait>(
    conn: &C,
    side: Side,
) -> Result<Vec<ReferralFacts>, StoreError> {
    let query = match side {
        Side::Received(org) => {
            referral::Entity::find().filter(referral::Column::ReceivingOrganisationId.eq(org))
        }
        Side::Made(org) => {
            referral::Entity::find().filter(referral::Column::ReferringOrganisationId.eq(org))
        }
    };
    let rows = query.all(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut events = std::collections::HashMap::<Uuid, Vec<referral_event::Model>>::new();
    let mut appointments = std::collections::HashMap::<Uuid, Vec<appointment::Model>>::new();
    for chunk in ids.chunks(500) {
        for e in referral_event::Entity::find()
            .filter(referral_event::Column::ReferralId.is_in(chunk.iter().copied()))
            .order_by_asc(referral_event::Column::At)
            .all(conn)
            .await?
        {
            events.entry(e.referral_id).or_default().push(e);
        }
        for a in appointment::Entity::find()
            .filter(appointment::Column::ReferralId.is_in(chunk.iter().copied()))
            .order_by_asc(appointment::Column::StartsAt)
            .all(conn)
            .await?
        {
            appointments.entry(a.referral_id).or_default().push(a);
        }
    }
    rows.into_iter()
        .map(|row| {
            let state = ReferralState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("referral state {}", row.state)))?;
            let history = events.remove(&row.id).unwrap_or_default();
            let reached = |name: &str| history.iter().any(|e| e.transition == name);
            let first_contact_at = history
                .iter()
                .find(|e| {
                    matches!(
                        e.transition.as_str(),
                        "open" | "accept" | "decline" | "redirect"
                    )
                })
                .map(|e| e.at);
            let booked = appointments.remove(&row.id).unwrap_or_default();
            let status = |a: &appointment::Model| AppointmentStatus::parse(&a.status);
            Ok(ReferralFacts {
                state,
                accepted: reached("accept"),
                declined: reached("decline"),
                redirected: reached("redirect"),
                sent_at: row.sent_at,
                first_contact_at,
                first_appointment_at: booked.first().map(|a| a.starts_at),
                appointments_kept: booked
                    .iter()
                    .filter(|a| status(a) == Some(AppointmentStatus::Attended))
                    .count(),
                appointments_missed: booked
                    .iter()
                    .filter(|a| status(a).is_some_and(|s| s.is_missed()))
                    .count(),
                outcome: row
                    .outcome
                    .as_deref()
                    .and_then(convene_domain::referrals::Outcome::parse),
            })
        })
        .collect()
}

/// For each service of `organisation`, its appointments from `from` to
/// `to` whose attendance was recorded, split by whether a reminder was
/// delivered to the family first. Services with none are left out.
pub async fn reminder_effect<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReminderEffect>, StoreError> {
    let referrals: std::collections::HashMap<Uuid, Uuid> = referral::Entity::find()
        .filter(referral::Column::ReceivingOrganisationId.eq(organisation))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.service_id))
        .collect();
    let ids: Vec<Uuid> = referrals.keys().copied().collect();
    let recorded = [
        AppointmentStatus::Attended,
        AppointmentStatus::DidNotAttend,
        AppointmentStatus::WasNotBrought,
    ]
    .map(|s| s.code());
    let mut by_service = std::collections::BTreeMap::<Uuid, ReminderEffect>::new();
    for chunk in ids.chunks(500) {
        let appointments = appointment::Entity::find()
            .filter(appointment::Column::ReferralId.is_in(chunk.iter().copied()))
            .filter(appointment::Column::StartsAt.gte(from))
            .filter(appointment::Column::StartsAt.lt(to))
            .filter(appointment::Column::Status.is_in(recorded))
            .all(conn)
            .await?;
        let reminded: std::collections::HashSet<Uuid> = outbox_message::Entity::find()
            .filter(outbox_message::Column::ReferralId.is_in(chunk.iter().copied()))
            .filter(outbox_message::Column::Kind.eq("reminder"))
            .filter(outbox_message::Column::Status.eq("delivered"))
            .all(conn)
            .await?
            .into_iter()
            .filter_map(|m| m.appointment_id)
            .collect();
        for a in appointments {
            let Some(service) = referrals.get(&a.referral_id) else {
                continue;
            };
            let missed = a.status != AppointmentStatus::Attended.code();
            let effect = by_service.entry(*service).or_default();
            if reminded.contains(&a.id) {
                effect.with_reminder.add(missed);
            } else {
                effect.without_reminder.add(missed);
            }
        }
    }
    let mut effects = Vec::new();
    for (id, mut effect) in by_service {
        effect.service = service::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        effects.push(effect);
    }
    effects.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(effects)
}
