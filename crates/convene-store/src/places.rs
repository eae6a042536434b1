//! Places: create, change, read.

use chrono::{DateTime, Utc};
use convene_domain::places::{Place, PlaceDetails};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::place::{ActiveModel, Column, Entity, Model};

pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    details: &PlaceDetails,
    now: DateTime<Utc>,
) -> Result<Place, StoreError> {
    let model = ActiveModel {
        id: Set(id),
        name: Set(details.name.clone()),
        description: Set(details.description.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Entity::insert(model).exec_without_returning(conn).await?;
    Ok(Place {
        id,
        details: details.clone(),
        created_at: now,
        updated_at: now,
    })
}

pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    details: &PlaceDetails,
    now: DateTime<Utc>,
) -> Result<Place, StoreError> {
    let existing = Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut model: ActiveModel = existing.into();
    model.name = Set(details.name.clone());
    model.description = Set(details.description.clone());
    model.updated_at = Set(now);
    Ok(to_domain(model.update(conn).await?))
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Place>, StoreError> {
    Ok(Entity::find_by_id(id).one(conn).await?.map(to_domain))
}

/// Every place, by name.
pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<Vec<Place>, StoreError> {
    Ok(Entity::find()
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}

pub async fn count<C: ConnectionTrait>(conn: &C) -> Result<u64, StoreError> {
    Ok(Entity::find().count(conn).await?)
}

fn to_domain(model: Model) -> Place {
    Place {
        id: model.id,
        details: PlaceDetails {
            name: model.name,
            description: model.description,
        },
        created_at: model.created_at,
        updated_at: model.updated_at,
    }
}
