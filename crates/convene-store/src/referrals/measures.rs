//! The facts behind referral measures, read for the referrals an
//! organisation received or made.

use convene_domain::referrals::measures::ReferralFacts;
use convene_domain::referrals::{AppointmentStatus, ReferralState};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{appointment, referral, referral_event};

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
