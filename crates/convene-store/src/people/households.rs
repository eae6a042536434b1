//! Households: who lives together and how they relate to its children.

use chrono::{DateTime, Utc};
use convene_domain::people::households::Relationship;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{household, household_member};

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    household::Entity::insert(household::ActiveModel {
        id: Set(id),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Adds a person to a household (or changes their relationship in it).
pub async fn add_member<C: ConnectionTrait>(
    conn: &C,
    household_id: Uuid,
    person_id: Uuid,
    relationship: Relationship,
) -> Result<(), StoreError> {
    household_member::Entity::delete_many()
        .filter(household_member::Column::HouseholdId.eq(household_id))
        .filter(household_member::Column::PersonId.eq(person_id))
        .exec(conn)
        .await?;
    household_member::Entity::insert(household_member::ActiveModel {
        household_id: Set(household_id),
        person_id: Set(person_id),
        relationship: Set(relationship.code().to_string()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The households a person belongs to.
pub async fn of_person<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(household_member::Entity::find()
        .filter(household_member::Column::PersonId.eq(person_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.household_id)
        .collect())
}

/// A household's members and how each relates to it.
pub async fn members<C: ConnectionTrait>(
    conn: &C,
    household_id: Uuid,
) -> Result<Vec<(Uuid, Relationship)>, StoreError> {
    household_member::Entity::find()
        .filter(household_member::Column::HouseholdId.eq(household_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            Relationship::parse(&m.relationship)
                .map(|r| (m.person_id, r))
                .ok_or_else(|| StoreError::Corrupt(format!("relationship {}", m.relationship)))
        })
        .collect()
}
