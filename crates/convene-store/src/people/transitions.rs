//! Key transitions: flagged with the family's consent (only then is one
//! recorded), they let the receiving school see the child's open
//! referrals.

use chrono::{DateTime, Utc};
use convene_domain::ids::new_id;
use convene_domain::people::transitions::TransitionKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::person_transition::{ActiveModel, Column, Entity, Model};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub person_id: Uuid,
    pub kind: TransitionKind,
    pub to_organisation_id: Uuid,
    pub flagged_by_organisation: Uuid,
    pub flagged_at: DateTime<Utc>,
}

fn to_domain(row: Model) -> Result<Transition, StoreError> {
    Ok(Transition {
        person_id: row.person_id,
        kind: TransitionKind::parse(&row.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("transition kind {}", row.kind)))?,
        to_organisation_id: row.to_organisation_id,
        flagged_by_organisation: row.flagged_by_organisation,
        flagged_at: row.flagged_at,
    })
}

/// Flags a transition the family has consented to.
pub async fn flag<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    kind: TransitionKind,
    to_organisation_id: Uuid,
    by: (Uuid, Uuid),
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id: Set(new_id()),
        person_id: Set(person_id),
        kind: Set(kind.code().to_string()),
        to_organisation_id: Set(to_organisation_id),
        flagged_by: Set(by.0),
        flagged_by_organisation: Set(by.1),
        flagged_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub async fn of_person<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
) -> Result<Vec<Transition>, StoreError> {
    Entity::find()
        .filter(Column::PersonId.eq(person_id))
        .order_by_asc(Column::FlaggedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Children moving to `organisation`, newest first.
pub async fn joining<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
) -> Result<Vec<Transition>, StoreError> {
    Entity::find()
        .filter(Column::ToOrganisationId.eq(organisation))
        .order_by_desc(Column::FlaggedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}
