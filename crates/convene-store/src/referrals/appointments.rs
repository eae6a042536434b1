//! Appointments on a referral: booked, moved, cancelled and attended (or
//! not). Each change is checked by the domain's rules against the
//! appointment as it was (its version); a missed appointment creates the
//! follow-ups the rules call for in the same transaction.

use chrono::{DateTime, Utc};
use convene_domain::referrals::appointments::{self as rules, AppointmentError};
use convene_domain::referrals::{
    AppointmentChange, AppointmentMode, AppointmentStatus, FollowUp, ReferralState,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::follow_ups::{self, FollowUpKind};
use crate::StoreError;
use crate::entities::{appointment, referral};
use crate::messaging::{notices, reminders};
use convene_domain::messaging::templates::MessageKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub mode: AppointmentMode,
    pub place: Option<String>,
    pub status: AppointmentStatus,
    pub booked_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A new appointment.
#[derive(Debug, Clone)]
pub struct Booking {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub mode: AppointmentMode,
    pub place: Option<String>,
    pub booked_by: Uuid,
}

fn refused(error: AppointmentError) -> StoreError {
    StoreError::Refused(super::sentence(&error.to_string()))
}

fn to_domain(row: appointment::Model) -> Result<Appointment, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("appointment {what}"));
    Ok(Appointment {
        id: row.id,
        referral_id: row.referral_id,
        starts_at: row.starts_at,
        duration_minutes: u32::try_from(row.duration_minutes).map_err(|_| corrupt("duration"))?,
        mode: AppointmentMode::parse(&row.mode).ok_or_else(|| corrupt("mode"))?,
        place: row.place,
        status: AppointmentStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        booked_by: row.booked_by,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// Books an appointment on an accepted referral. Call in a transaction.
pub async fn book<C: ConnectionTrait>(
    conn: &C,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let referral = referral::Entity::find_by_id(booking.referral_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let state = ReferralState::parse(&referral.state)
        .ok_or_else(|| StoreError::Corrupt("referral state".into()))?;
    rules::check_booking(state, booking.starts_at, now).map_err(refused)?;
    if !(5..=8 * 60).contains(&booking.duration_minutes) {
        return Err(StoreError::Refused(
            "An appointment lasts between 5 minutes and 8 hours".into(),
        ));
    }
    appointment::Entity::insert(appointment::ActiveModel {
        id: Set(booking.id),
        referral_id: Set(booking.referral_id),
        starts_at: Set(booking.starts_at),
        duration_minutes: Set(booking.duration_minutes as i32),
        mode: Set(booking.mode.code().to_string()),
        place: Set(booking.place.clone()),
        status: Set(AppointmentStatus::Booked.code().to_string()),
        booked_by: Set(booking.booked_by),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(conn)
    .await?;
    reminders::schedule(
        conn,
        booking.id,
        booking.referral_id,
        referral.service_id,
        booking.starts_at,
        now,
    )
    .await?;
    Ok(())
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<Appointment>, StoreError> {
    appointment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// A referral's appointments, in time order.
pub async fn of_referral<C: ConnectionTrait>(
    conn: &C,
    referral: Uuid,
) -> Result<Vec<Appointment>, StoreError> {
    appointment::Entity::find()
        .filter(appointment::Column::ReferralId.eq(referral))
        .order_by_asc(appointment::Column::StartsAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Applies `change` to appointment `id` as it was at `version`, creating
/// the follow-ups a missed appointment calls for. Call in a transaction.
pub async fn change<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    version: i64,
    change: AppointmentChange,
    now: DateTime<Utc>,
) -> Result<AppointmentStatus, StoreError> {
    let current = get(conn, id).await?.ok_or(StoreError::NotFound)?;
    let state = referral::Entity::find_by_id(current.referral_id)
        .one(conn)
        .await?
        .and_then(|r| ReferralState::parse(&r.state));
    if state != Some(ReferralState::Accepted) {
        return Err(StoreError::Refused(
            "Appointments can be changed only while the referral is accepted".into(),
        ));
    }
    let stale = || {
        StoreError::Refused(
            "Someone else changed this appointment meanwhile; look at it again before you go on"
                .into(),
        )
    };
    if current.version != version {
        return Err(stale());
    }
    let (status, starts_at, follow) =
        rules::apply(current.status, current.starts_at, change, now).map_err(refused)?;
    let moved = appointment::Entity::update_many()
        .col_expr(appointment::Column::Status, Expr::value(status.code()))
        .col_expr(appointment::Column::StartsAt, Expr::value(starts_at))
        .col_expr(appointment::Column::UpdatedAt, Expr::value(now))
        .col_expr(appointment::Column::Version, Expr::value(version + 1))
        .filter(appointment::Column::Id.eq(id))
        .filter(appointment::Column::Version.eq(version))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(stale());
    }
    if status != AppointmentStatus::Booked || starts_at != current.starts_at {
        reminders::withdraw(
            conn,
            id,
            if status == AppointmentStatus::Booked {
                "the appointment moved; the new time has its own reminders"
            } else {
                "the appointment is no longer booked"
            },
            now,
        )
        .await?;
    }
    if status == AppointmentStatus::Booked && starts_at != current.starts_at {
        let service = referral::Entity::find_by_id(current.referral_id)
            .one(conn)
            .await?
            .ok_or(StoreError::NotFound)?
            .service_id;
        reminders::schedule(conn, id, current.referral_id, service, starts_at, now).await?;
    }
    let tell_referrer = follow.contains(&FollowUp::TellReferrer);
    if !follow.is_empty() {
        let referral = referral::Entity::find_by_id(current.referral_id)
            .one(conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        for step in follow {
            let (organisation, kind) = match step {
                FollowUp::ContactFamily => (
                    Some(referral.receiving_organisation_id),
                    FollowUpKind::ContactFamily,
                ),
                // A family who referred themselves has no referrer to tell.
                FollowUp::TellReferrer => (
                    referral.referring_organisation_id,
                    FollowUpKind::MissedAppointment,
                ),
            };
            if let Some(organisation) = organisation {
                follow_ups::create(conn, organisation, referral.id, Some(id), kind, now).await?;
            }
        }
        if tell_referrer {
            notices::tell(conn, MessageKind::DidNotAttend, referral.id, now).await?;
        }
    }
    Ok(status)
}
