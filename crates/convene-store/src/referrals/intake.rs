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
