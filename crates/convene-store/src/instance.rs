//! Facts about this instance kept in its own database (e.g. "this is a demo
//! database"), so that commands can refuse to do something dangerous to it.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::StoreError;
use crate::entities::instance_fact::{ActiveModel, Column, Entity};

/// The fact that marks a database as made by `convene demo`.
pub const DEMO_FACT: &str = "demo";

pub async fn fact<C: ConnectionTrait>(conn: &C, key: &str) -> Result<Option<String>, StoreError> {
    Ok(Entity::find_by_id(key.to_string())
        .one(conn)
        .await?
        .map(|m| m.value))
}

pub async fn set_fact<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    value: &str,
) -> Result<(), StoreError> {
    let model = ActiveModel {
        key: Set(key.to_string()),
        value: Set(value.to_string()),
    };
    Entity::insert(model)
        .on_conflict(
            OnConflict::column(Column::Key)
                .update_column(Column::Value)
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The name people know this instance by (e.g. "Brackenbury Partnership").
pub const NAME_FACT: &str = "name";

/// One or two sentences on what this instance is for.
pub const SUMMARY_FACT: &str = "summary";

/// Every fact whose key starts with `prefix`: (key, value), by key.
pub async fn facts_starting<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    Ok(Entity::find()
        .filter(Column::Key.starts_with(prefix))
        .order_by_asc(Column::Key)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.key, m.value))
        .collect())
}

pub async fn remove_fact<C: ConnectionTrait>(conn: &C, key: &str) -> Result<(), StoreError> {
    Entity::delete_by_id(key.to_string()).exec(conn).await?;
    Ok(())
}
