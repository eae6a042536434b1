//! Bulk loading of a generated caseload, for the load benchmark only:
//! people, and referrals with their history, share and appointment, written
//! hundreds of rows to a statement. Every value is sealed exactly as the
//! one-at-a-time paths seal it, so the running product reads the rows as
//! its own. Nothing here is reachable from a request.

use chrono::{DateTime, Utc};
use convene_domain::people::PersonDetails;
use convene_domain::people::sharing::{LawfulBasis, PRIVACY_NOTICE_VERSION, SharedItem};
use convene_domain::referrals::appointments::{AppointmentMode, AppointmentStatus};
use convene_domain::referrals::{Outcome, ReferralRole, ReferralState, Urgency};
use convene_domain::sealing::DataKeys;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{
    appointment, person, referral, referral_event, referral_need, referral_person, share,
};
use crate::people::records::sealed_columns;
use crate::people::shares::{ShareKind, sealed};
use crate::referrals::records::seal;

/// Rows a statement carries: well under SQLite's 32,766 bound values for
/// the widest table (people, 18 columns).
const ROWS_PER_STATEMENT: usize = 400;

#[derive(Debug, Clone)]
pub struct CaseloadPerson {
    pub id: Uuid,
    pub details: PersonDetails,
    pub recorded_by: Uuid,
    pub at: DateTime<Utc>,
}

/// One step of a referral's history, in order, starting with its creation.
#[derive(Debug, Clone)]
pub struct CaseloadStep {
    pub transition: &'static str,
    pub from: Option<ReferralState>,
    pub to: ReferralState,
    pub by_user: Uuid,
    pub by_organisation: Uuid,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CaseloadAppointment {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub booked_by: Uuid,
}

#[derive(Debug, Clone)]
pub struct CaseloadReferral {
    pub id: Uuid,
    pub service_id: Uuid,
    pub receiving_organisation_id: Uuid,
    pub referring_organisation_id: Uuid,
    pub referred_by: Uuid,
    pub subject_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub need: Uuid,
    pub urgency: Urgency,
    pub reason: String,
    pub decline_reason: Option<String>,
    pub outcome: Option<Outcome>,
    /// Creation first; the last step's state is the referral's.
    pub steps: Vec<CaseloadStep>,
    pub appointment: Option<CaseloadAppointment>,
}

async fn insert_all<C, A>(conn: &C, rows: Vec<A>) -> Result<(), StoreError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Stores `people`. Call in a transaction.
pub async fn insert_people<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    people: &[CaseloadPerson],
) -> Result<(), StoreError> {
    let rows = people
        .iter()
        .map(|p| {
            let mut row = sealed_columns(keys, p.id, &p.details)?;
            row.id = Set(p.id);
            row.recorded_by = Set(p.recorded_by);
            row.created_at = Set(p.at);
            row.updated_at = Set(p.at);
            row.merged_into = Set(None);
            row.anonymised_at = Set(None);
            Ok(row)
        })
        .collect::<Result<Vec<person::ActiveModel>, StoreError>>()?;
    insert_all(conn, rows).await
}

/// Stores `referrals` with their people, need, history, the consent share
/// they were sent on and their appointment. Call in a transaction.
pub async fn insert_referrals<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    referrals: &[CaseloadReferral],
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(referrals.len());
    let mut people = Vec::with_capacity(referrals.len() * 2);
    let mut needs = Vec::with_capacity(referrals.len());
    let mut events = Vec::with_capacity(referrals.len() * 4);
    let mut shares = Vec::with_capacity(referrals.len());
    let mut appointments = Vec::new();
    for r in referrals {
        let (first, last) = match (r.steps.first(), r.steps.last()) {
            (Some(first), Some(last)) => (first, last),
            _ => return Err(StoreError::Refused("a referral needs a history".into())),
        };
        let sent_at = r
            .steps
            .iter()
            .find(|s| s.to == ReferralState::Sent)
            .map(|s| s.at);
        let closed_at = (last.to == ReferralState::Closed).then_some(last.at);
        rows.push(referral::ActiveModel {
            id: Set(r.id),
            service_id: Set(r.service_id),
            receiving_organisation_id: Set(r.receiving_organisation_id),
            referring_organisation_id: Set(Some(r.referring_organisation_id)),
            referred_by: Set(Some(r.referred_by)),
            subject_id: Set(r.subject_id),
            state: Set(last.to.code().to_string()),
            urgency: Set(r.urgency.code().to_string()),
            reason: Set(seal(keys, &r.reason, "reason", r.id)?),
            decline_reason: Set(r
                .decline_reason
                .as_deref()
                .map(|d| seal(keys, d, "decline_reason", r.id))
                .transpose()?),
            redirected_to: Set(None),
            redirected_from: Set(None),
            outcome: Set(r.outcome.map(|o| o.code().to_string())),
            created_at: Set(first.at),
            updated_at: Set(last.at),
            sent_at: Set(sent_at),
            closed_at: Set(closed_at),
            version: Set(r.steps.len() as i64),
        });
        let roles = std::iter::once((r.subject_id, ReferralRole::Subject))
            .chain(r.parent_id.map(|p| (p, ReferralRole::ParentOrCarer)));
        for (person, role) in roles {
            people.push(referral_person::ActiveModel {
                referral_id: Set(r.id),
                person_id: Set(person),
                role: Set(role.code().to_string()),
            });
        }
        needs.push(referral_need::ActiveModel {
            referral_id: Set(r.id),
            term_id: Set(r.need),
        });
        for (n, step) in r.steps.iter().enumerate() {
            events.push(referral_event::ActiveModel {
                id: Set(step_id(r.id, n)),
                referral_id: Set(r.id),
                at: Set(step.at),
                transition: Set(step.transition.to_string()),
                from_state: Set(step.from.map(|s| s.code().to_string())),
                to_state: Set(step.to.code().to_string()),
                by_user: Set(Some(step.by_user)),
                by_organisation: Set(Some(step.by_organisation)),
                detail: Set(None),
            });
        }
        let share_id = step_id(r.id, 99);
        let items = [
            SharedItem::Name,
            SharedItem::ContactDetails,
            SharedItem::ReasonForReferral,
        ];
        shares.push(share::ActiveModel {
            id: Set(share_id),
            person_id: Set(r.subject_id),
            referral_id: Set(Some(r.id)),
            kind: Set(ShareKind::Shared.code().to_string()),
            basis: Set(Some(LawfulBasis::Consent.code().to_string())),
            health_condition: Set(None),
            purpose: Set(sealed(
                keys,
                "purpose",
                share_id,
                Some("So the service can contact the family"),
            )?),
            recipient_organisation_id: Set(Some(r.receiving_organisation_id)),
            items: Set(items.map(|i| i.code()).join(",")),
            justification: Set(None),
            privacy_notice_version: Set(Some(PRIVACY_NOTICE_VERSION.to_string())),
            decided_by: Set(r.referred_by),
            decided_by_organisation: Set(r.referring_organisation_id),
            decided_at: Set(first.at),
            needs_safeguarding_review: Set(false),
        });
        if let Some(a) = &r.appointment {
            appointments.push(appointment::ActiveModel {
                id: Set(a.id),
                referral_id: Set(r.id),
                starts_at: Set(a.starts_at),
                duration_minutes: Set(45),
                mode: Set(AppointmentMode::InPerson.code().to_string()),
                place: Set(None),
                status: Set(a.status.code().to_string()),
                booked_by: Set(a.booked_by),
                created_at: Set(first.at),
                updated_at: Set(last.at),
                version: Set(if a.status == AppointmentStatus::Booked {
                    1
                } else {
                    2
                }),
            });
        }
    }
    insert_all(conn, rows).await?;
    insert_all(conn, people).await?;
    insert_all(conn, needs).await?;
    insert_all(conn, events).await?;
    insert_all(conn, shares).await?;
    insert_all(conn, appointments).await
}

/// A stable id for the `n`th row hanging off a referral, so a generated
/// caseload is the same every time.
fn step_id(referral: Uuid, n: usize) -> Uuid {
    let (high, low) = referral.as_u64_pair();
    Uuid::from_u64_pair(high ^ 0x5a5a, low.wrapping_add(n as u64 + 1))
}
