//! Organisations: create, change, read.

use chrono::{DateTime, Utc};
use convene_domain::organisations::{Organisation, OrganisationDetails, OrganisationKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::organisation::{ActiveModel, Column, Entity, Model};

/// Stores a new organisation under `id`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    details: &OrganisationDetails,
    now: DateTime<Utc>,
) -> Result<Organisation, StoreError> {
    let model = ActiveModel {
        id: Set(id),
        name: Set(details.name.clone()),
        kind: Set(details.kind.code().to_string()),
        email: Set(details.email.clone()),
        phone: Set(details.phone.clone()),
        website: Set(details.website.clone()),
        address: Set(details.address.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Entity::insert(model).exec_without_returning(conn).await?;
    Ok(Organisation {
        id,
        details: details.clone(),
        created_at: now,
        updated_at: now,
    })
}

/// Replaces an organisation's details.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    details: &OrganisationDetails,
    now: DateTime<Utc>,
) -> Result<Organisation, StoreError> {
    let existing = Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut model: ActiveModel = existing.into();
    model.name = Set(details.name.clone());
    model.kind = Set(details.kind.code().to_string());
    model.email = Set(details.email.clone());
    model.phone = Set(details.phone.clone());
    model.website = Set(details.website.clone());
    model.address = Set(details.address.clone());
    model.updated_at = Set(now);
    to_domain(model.update(conn).await?)
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<Organisation>, StoreError> {
    Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Organisations' names by id, in one query (a referral's history names
/// each organisation that acted on it).
pub async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .filter(Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

/// Every organisation, by name.
pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<Vec<Organisation>, StoreError> {
    Entity::find()
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// How many organisations there are of each kind, in one query; a kind
/// with none is absent.
pub async fn counts_by_kind<C: ConnectionTrait>(
    conn: &C,
) -> Result<std::collections::HashMap<OrganisationKind, u64>, StoreError> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Column::Id.count(), "n")
        .group_by(Column::Kind)
        .into_tuple()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|(code, n)| {
            let kind = code
                .parse::<OrganisationKind>()
                .map_err(|e| StoreError::Corrupt(format!("organisation kind: {e}")))?;
            Ok((kind, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
}

/// The first `shown` organisations of one kind, by name.
pub async fn first_of_kind<C: ConnectionTrait>(
    conn: &C,
    kind: OrganisationKind,
    shown: u64,
) -> Result<Vec<Organisation>, StoreError> {
    Entity::find()
        .filter(Column::Kind.eq(kind.code()))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .limit(shown)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn count<C: ConnectionTrait>(conn: &C) -> Result<u64, StoreError> {
    Ok(Entity::find().count(conn).await?)
}

fn to_domain(model: Model) -> Result<Organisation, StoreError> {
    let kind = model
        .kind
        .parse::<OrganisationKind>()
        .map_err(|e| StoreError::Corrupt(format!("organisation {}: {e}", model.id)))?;
    Ok(Organisation {
        id: model.id,
        details: OrganisationDetails {
            name: model.name,
            kind,
            email: model.email,
            phone: model.phone,
            website: model.website,
            address: model.address,
        },
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}
