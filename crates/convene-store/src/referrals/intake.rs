//! Taking in a referral as one unit of work: the child (new, or already on
//! record), a parent or carer in the child's household, the referral, the
//! sharing decision, and - if asked - sending it. Used by the web form and
//! the JSON API alike. Call in a transaction.

use chrono::{DateTime, Utc};
use convene_domain::ids::new_id;
use convene_domain::people::PersonDetails;
use convene_domain::people::households::Relationship;
use convene_domain::people::sharing::Share;
use convene_domain::referrals::{ReferralState, Transition, Urgency};
use convene_domain::sealing::DataKeys;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::records::{self, Actor, NewReferral};
use crate::StoreError;
use crate::people::{households, records as people, shares};

/// Whether a service is taking new referrals now: not paused, and fewer
/// open referrals (sent, opened or accepted) than its capacity. Refused
/// with the reason otherwise.
pub async fn check_open_for_referrals<C: ConnectionTrait>(
    conn: &C,
    service_id: Uuid,
) -> Result<(), StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    use crate::entities::{referral, service};
    let service = service::Entity::find_by_id(service_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    if service.referrals_paused {
        return Err(StoreError::Refused(format!(
            "{} is not taking new referrals at the moment",
            service.name
        )));
    }
    if let Some(capacity) = service.referral_capacity {
        let open = referral::Entity::find()
            .filter(referral::Column::ServiceId.eq(service_id))
            .filter(referral::Column::State.is_in(ReferralState::OPEN.map(ReferralState::code)))
            .count(conn)
            .await?;
        if open >= u64::try_from(capacity).unwrap_or(0) {
            return Err(StoreError::Refused(format!(
                "{} is full at the moment: it cannot take new referrals until some finish",
                service.name
            )));
        }
    }
    Ok(())
}

/// Pauses or resumes a service's referrals and sets its capacity.
pub async fn set_intake<C: ConnectionTrait>(
    conn: &C,
    service_id: Uuid,
    paused: bool,
    capacity: Option<u32>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::entities::service;
    let capacity = capacity.map(|c| i32::try_from(c).unwrap_or(i32::MAX));
    let done = service::Entity::update_many()
        .col_expr(service::Column::ReferralsPaused, Expr::value(paused))
        .col_expr(service::Column::ReferralCapacity, Expr::value(capacity))
        .filter(service::Column::Id.eq(service_id))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A service's intake: (paused, capacity).
pub async fn intake_of<C: ConnectionTrait>(
    conn: &C,
    service_id: Uuid,
) -> Result<(bool, Option<u32>), StoreError> {
    use sea_orm::EntityTrait;

    use crate::entities::service;
    let service = service::Entity::find_by_id(service_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((
        service.referrals_paused,
        capacity(service.referral_capacity),
    ))
}

/// A stored capacity as a count (a negative one, never written, as none).
fn capacity(stored: Option<i32>) -> Option<u32> {
    stored.and_then(|c| u32::try_from(c).ok())
}

/// An active service's intake, for its organisation's referrals page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceIntake {
    pub id: Uuid,
    pub name: String,
    pub paused: bool,
    pub capacity: Option<u32>,
}

/// The intake of each of an organisation's active services, by name: one
/// query reading four columns, not a whole service row (and its document)
/// for each.
pub async fn intakes_of_organisation<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
) -> Result<Vec<ServiceIntake>, StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use crate::entities::service;
    let rows: Vec<(Uuid, String, bool, Option<i32>)> = service::Entity::find()
        .select_only()
        .column(service::Column::Id)
        .column(service::Column::Name)
        .column(service::Column::ReferralsPaused)
        .column(service::Column::ReferralCapacity)
        .filter(service::Column::OrganisationId.eq(organisation))
        .filter(service::Column::Status.eq("active"))
        .order_by_asc(service::Column::Name)
        .order_by_asc(service::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, paused, stored_capacity)| ServiceIntake {
            id,
            name,
            paused,
            capacity: capacity(stored_capacity),
        })
        .collect())
}

/// A family referring themselves (or their child) from a service's public
/// page: the person it is for, who is asking (if someone else), and what
/// they need in their own words.
#[derive(Debug, Clone)]
pub struct SelfReferral {
    pub referral_id: Uuid,
    pub service_id: Uuid,
    pub person: PersonDetails,
    pub asking: Option<(PersonDetails, Relationship)>,
    pub reason: String,
    pub privacy_notice_version: String,
}

/// Records a self-referral, sent straight to the service's inbox, with the
/// family's consent to share as its lawful basis. The family made the
/// decision: it is recorded with no staff member, under the receiving
/// organisation.
pub async fn take_in_self_referral<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    asked: SelfReferral,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let service = crate::directory::services::row(conn, asked.service_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let receiver = service.organisation_id;
    let person_id = new_id();
    people::insert(conn, keys, person_id, &asked.person, receiver, now).await?;
    let mut parents = Vec::new();
    if let Some((asking, relationship)) = asked.asking {
        let asking_id = new_id();
        people::insert(conn, keys, asking_id, &asking, receiver, now).await?;
        let home = new_id();
        households::create(conn, home, now).await?;
        households::add_member(conn, home, person_id, Relationship::Child).await?;
        households::add_member(conn, home, asking_id, relationship).await?;
        parents.push(asking_id);
    }
    let new = NewReferral {
        id: asked.referral_id,
        service_id: asked.service_id,
        referring_organisation_id: None,
        referred_by: None,
        subject_id: person_id,
        parents_or_carers: parents,
        urgency: Urgency::Routine,
        reason: asked.reason,
        needs: Vec::new(),
    };
    records::create(conn, keys, &new, ReferralState::Sent, None, now).await?;
    let share = Share {
        basis: convene_domain::people::sharing::LawfulBasis::Consent,
        health_condition: None,
        purpose: format!(
            "So {} can contact the family about their request",
            service.name
        ),
        recipient_organisation: receiver,
        items: vec![
            convene_domain::people::sharing::SharedItem::Name,
            convene_domain::people::sharing::SharedItem::DateOfBirth,
            convene_domain::people::sharing::SharedItem::ContactDetails,
            convene_domain::people::sharing::SharedItem::ReasonForReferral,
        ],
        justification: None,
        privacy_notice_version: asked.privacy_notice_version,
        // The family decided; no member of staff did.
        decided_by: Uuid::nil(),
        decided_at: now,
    };
    shares::record_share(
        conn,
        keys,
        person_id,
        Some(asked.referral_id),
        &share,
        receiver,
    )
    .await?;
    Ok(person_id)
}

/// The child: someone already on record, or a new person.
#[derive(Debug, Clone)]
pub enum Child {
    Existing(Uuid),
    New(PersonDetails),
}

#[derive(Debug, Clone)]
pub struct Intake {
    pub referral_id: Uuid,
    pub organisation: Uuid,
    pub referred_by: Uuid,
    pub service_id: Uuid,
    pub child: Child,
    pub parent: Option<(PersonDetails, Relationship)>,
    pub urgency: Urgency,
    pub reason: String,
    pub needs: Vec<Uuid>,
    pub share: Share,
    pub send: bool,
}

/// Records everything; returns the child's id.
pub async fn take_in<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    intake: Intake,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let organisation = intake.organisation;
    let child_id = match intake.child {
        Child::Existing(id) => {
            people::get(conn, keys, id)
                .await?
                .filter(|p| p.merged_into.is_none())
                .ok_or(StoreError::NotFound)?;
            id
        }
        Child::New(details) => {
            let id = new_id();
            people::insert(conn, keys, id, &details, organisation, now).await?;
            id
        }
    };
    let mut parents = Vec::new();
    if let Some((parent, relationship)) = intake.parent {
        let parent_id = new_id();
        people::insert(conn, keys, parent_id, &parent, organisation, now).await?;
        let home = match households::of_person(conn, child_id).await?.first() {
            Some(home) => *home,
            None => {
                let home = new_id();
                households::create(conn, home, now).await?;
                households::add_member(conn, home, child_id, Relationship::Child).await?;
                home
            }
        };
        households::add_member(conn, home, parent_id, relationship).await?;
        parents.push(parent_id);
    }
    let new = NewReferral {
        id: intake.referral_id,
        service_id: intake.service_id,
        referring_organisation_id: Some(organisation),
        referred_by: Some(intake.referred_by),
        subject_id: child_id,
        parents_or_carers: parents,
        urgency: intake.urgency,
        reason: intake.reason,
        needs: intake.needs,
    };
    records::create(conn, keys, &new, ReferralState::Draft, None, now).await?;
    shares::record_share(
        conn,
        keys,
        child_id,
        Some(intake.referral_id),
        &intake.share,
        organisation,
    )
    .await?;
    if intake.send {
        let actor = Actor {
            user: Some(intake.referred_by),
            organisation,
        };
        records::apply(
            conn,
            keys,
            intake.referral_id,
            1,
            &Transition::Send,
            actor,
            now,
        )
        .await?;
    }
    Ok(child_id)
}
