//! Follow-ups: work a referral sets for an organisation - contacting a
//! family after a missed appointment, the referrer's notice of it, and the
//! safeguarding lead's review of a share made without consent.

use chrono::{DateTime, Duration, Utc};
use convene_domain::ids::new_id;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::follow_up;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpKind {
    /// The receiving practitioner contacts the family after a missed
    /// appointment.
    ContactFamily,
    /// The referrer is told an appointment was missed.
    MissedAppointment,
    /// The safeguarding lead reviews a share made without consent.
    SafeguardingReview,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 3] = [
        Self::ContactFamily,
        Self::MissedAppointment,
        Self::SafeguardingReview,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ContactFamily => "contact_family",
            Self::MissedAppointment => "missed_appointment",
            Self::SafeguardingReview => "safeguarding_review",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ContactFamily => "Contact the family about the missed appointment",
            Self::MissedAppointment => "An appointment was missed",
            Self::SafeguardingReview => "Review: shared without consent",
        }
    }

    /// How long it may wait.
    fn due_after(self) -> Option<Duration> {
        match self {
            Self::ContactFamily => Some(Duration::days(2)),
            Self::SafeguardingReview => Some(Duration::days(1)),
            Self::MissedAppointment => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub referral_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub kind: FollowUpKind,
    pub created_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
    referral: Uuid,
    appointment: Option<Uuid>,
    kind: FollowUpKind,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = new_id();
    follow_up::Entity::insert(follow_up::ActiveModel {
        id: Set(id),
        organisation_id: Set(organisation),
        referral_id: Set(referral),
        appointment_id: Set(appointment),
        kind: Set(kind.code().to_string()),
        created_at: Set(now),
        due_at: Set(kind.due_after().map(|d| now + d)),
        done_at: Set(None),
        done_by: Set(None),
        notified_at: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

fn to_domain(row: follow_up::Model) -> Result<FollowUp, StoreError> {
    Ok(FollowUp {
        id: row.id,
        organisation_id: row.organisation_id,
        referral_id: row.referral_id,
        appointment_id: row.appointment_id,
        kind: FollowUpKind::parse(&row.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("follow-up kind {}", row.kind)))?,
        created_at: row.created_at,
        due_at: row.due_at,
        done_at: row.done_at,
    })
}

/// An organisation's follow-ups not yet done, oldest first.
pub async fn open_for<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
) -> Result<Vec<FollowUp>, StoreError> {
    follow_up::Entity::find()
        .filter(follow_up::Column::OrganisationId.eq(organisation))
        .filter(follow_up::Column::DoneAt.is_null())
        .order_by_asc(follow_up::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// A referral's follow-ups, done or not, oldest first.
pub async fn of_referral<C: ConnectionTrait>(
    conn: &C,
    referral: Uuid,
) -> Result<Vec<FollowUp>, StoreError> {
    follow_up::Entity::find()
        .filter(follow_up::Column::ReferralId.eq(referral))
        .order_by_asc(follow_up::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Marks a follow-up of `organisation` done (once).
pub async fn complete<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    organisation: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let done = follow_up::Entity::update_many()
        .col_expr(follow_up::Column::DoneAt, Expr::value(now))
        .col_expr(follow_up::Column::DoneBy, Expr::value(by))
        .filter(follow_up::Column::Id.eq(id))
        .filter(follow_up::Column::OrganisationId.eq(organisation))
        .filter(follow_up::Column::DoneAt.is_null())
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
