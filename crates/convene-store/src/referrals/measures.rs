//! The facts behind referral measures, read for the referrals an
//! organisation received or made.
//!
//! Only the columns the measures use are read, and the referrals' history
//! and appointments are found through a subquery on the organisation
//! rather than by lists of ids: at national scale an organisation has
//! hundreds of referrals, each with its history, and whole rows (sealed
//! text included) were read and thrown away on what is the slowest page
//! under load (docs/benchmarks.md).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use convene_domain::referrals::measures::{ReferralFacts, ReminderEffect};
use convene_domain::referrals::{AppointmentStatus, Outcome, ReferralState};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::StoreError;
use crate::directory::services;
use crate::entities::{appointment, outbox_message, referral, referral_event};

/// Which referrals: those an organisation received, or made.
#[derive(Debug, Clone, Copy)]
pub enum Side {
    Received(Uuid),
    Made(Uuid),
}

impl Side {
    fn condition(self) -> sea_orm::sea_query::SimpleExpr {
        match self {
            Side::Received(org) => referral::Column::ReceivingOrganisationId.eq(org),
            Side::Made(org) => referral::Column::ReferringOrganisationId.eq(org),
        }
    }

    /// The ids of this side's referrals, as a subquery.
    fn ids(self) -> SelectStatement {
        referral::Entity::find()
            .select_only()
            .column(referral::Column::Id)
            .filter(self.condition())
            .into_query()
    }
}

/// The transitions that are the receiving service's first response.
const FIRST_CONTACT: [&str; 4] = ["open", "accept", "decline", "redirect"];

/// What one referral's history says, for measuring.
#[derive(Default)]
struct Reached {
    accepted: bool,
    declined: bool,
    redirected: bool,
    first_contact_at: Option<DateTime<Utc>>,
}

/// What one referral's appointments say, for measuring.
#[derive(Default)]
struct Booked {
    first_at: Option<DateTime<Utc>>,
    kept: usize,
    missed: usize,
}

/// A referral's id, state, when it was sent and its outcome.
type ReferralRow = (Uuid, String, Option<DateTime<Utc>>, Option<String>);

pub async fn facts<C: ConnectionTrait>(
    conn: &C,
    side: Side,
) -> Result<Vec<ReferralFacts>, StoreError> {
    let rows: Vec<ReferralRow> = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .column(referral::Column::State)
        .column(referral::Column::SentAt)
        .column(referral::Column::Outcome)
        .filter(side.condition())
        .into_tuple()
        .all(conn)
        .await?;
    let mut reached = HashMap::<Uuid, Reached>::new();
    let events: Vec<(Uuid, String, DateTime<Utc>)> = referral_event::Entity::find()
        .select_only()
        .column(referral_event::Column::ReferralId)
        .column(referral_event::Column::Transition)
        .column(referral_event::Column::At)
        .filter(referral_event::Column::ReferralId.in_subquery(side.ids()))
        .filter(referral_event::Column::Transition.is_in(FIRST_CONTACT))
        .order_by_asc(referral_event::Column::At)
        .into_tuple()
        .all(conn)
        .await?;
    for (referral_id, transition, at) in events {
        let r = reached.entry(referral_id).or_default();
        r.first_contact_at.get_or_insert(at);
        match transition.as_str() {
            "accept" => r.accepted = true,
            "decline" => r.declined = true,
            "redirect" => r.redirected = true,
            _ => {}
        }
    }
    let mut booked = HashMap::<Uuid, Booked>::new();
    let appointments: Vec<(Uuid, DateTime<Utc>, String)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::ReferralId)
        .column(appointment::Column::StartsAt)
        .column(appointment::Column::Status)
        .filter(appointment::Column::ReferralId.in_subquery(side.ids()))
        .order_by_asc(appointment::Column::StartsAt)
        .into_tuple()
        .all(conn)
        .await?;
    for (referral_id, starts_at, status) in appointments {
        let b = booked.entry(referral_id).or_default();
        b.first_at.get_or_insert(starts_at);
        match AppointmentStatus::parse(&status) {
            Some(AppointmentStatus::Attended) => b.kept += 1,
            Some(s) if s.is_missed() => b.missed += 1,
            _ => {}
        }
    }
    rows.into_iter()
        .map(|(id, state, sent_at, outcome)| {
            let state = ReferralState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("referral state {state}")))?;
            let history = reached.remove(&id).unwrap_or_default();
            let appointments = booked.remove(&id).unwrap_or_default();
            Ok(ReferralFacts {
                state,
                accepted: history.accepted,
                declined: history.declined,
                redirected: history.redirected,
                sent_at,
                first_contact_at: history.first_contact_at,
                first_appointment_at: appointments.first_at,
                appointments_kept: appointments.kept,
                appointments_missed: appointments.missed,
                outcome: outcome.as_deref().and_then(Outcome::parse),
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
    let received = Side::Received(organisation);
    let recorded = [
        AppointmentStatus::Attended,
        AppointmentStatus::DidNotAttend,
        AppointmentStatus::WasNotBrought,
    ]
    .map(|s| s.code());
    let appointments: Vec<(Uuid, Uuid, String)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::Id)
        .column(appointment::Column::ReferralId)
        .column(appointment::Column::Status)
        .filter(appointment::Column::ReferralId.in_subquery(received.ids()))
        .filter(appointment::Column::StartsAt.gte(from))
        .filter(appointment::Column::StartsAt.lt(to))
        .filter(appointment::Column::Status.is_in(recorded))
        .into_tuple()
        .all(conn)
        .await?;
    if appointments.is_empty() {
        return Ok(Vec::new());
    }
    let service_of: HashMap<Uuid, Uuid> = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .column(referral::Column::ServiceId)
        .filter(received.condition())
        .into_tuple::<(Uuid, Uuid)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    // By appointment, through its own index: given a subquery of
    // referrals, SQLite's planner chose to read every delivered message.
    let mut reminded = HashSet::<Uuid>::new();
    let ids: Vec<Uuid> = appointments.iter().map(|(id, _, _)| *id).collect();
    for chunk in ids.chunks(500) {
        reminded.extend(
            outbox_message::Entity::find()
                .select_only()
                .column(outbox_message::Column::AppointmentId)
                .filter(outbox_message::Column::AppointmentId.is_in(chunk.iter().copied()))
                .filter(outbox_message::Column::Kind.eq("reminder"))
                .filter(outbox_message::Column::Status.eq("delivered"))
                .into_tuple::<Option<Uuid>>()
                .all(conn)
                .await?
                .into_iter()
                .flatten(),
        );
    }
    let mut by_service = BTreeMap::<Uuid, ReminderEffect>::new();
    for (id, referral_id, status) in appointments {
        let Some(service) = service_of.get(&referral_id) else {
            continue;
        };
        let missed = status != AppointmentStatus::Attended.code();
        let effect = by_service.entry(*service).or_default();
        if reminded.contains(&id) {
            effect.with_reminder.add(missed);
        } else {
            effect.without_reminder.add(missed);
        }
    }
    let ids: Vec<Uuid> = by_service.keys().copied().collect();
    let mut names = services::names(conn, &ids).await?;
    let mut effects: Vec<ReminderEffect> = by_service
        .into_iter()
        .map(|(id, mut effect)| {
            effect.service = names.remove(&id).unwrap_or_default();
            effect
        })
        .collect();
    effects.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(effects)
}
