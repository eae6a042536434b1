//! Families who asked for no more messages: by replying STOP, or through
//! a member of staff. Kept by the blind index of the phone number or email
//! address, so the list holds no contact details itself.

use chrono::{DateTime, Utc};
use convene_domain::messaging::contact::{normalise_email, normalise_phone};
use convene_domain::sealing::DataKeys;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::message_opt_out::{ActiveModel, Column, Entity};

/// The index a phone number is kept under, if it is one.
pub fn phone_index(keys: &DataKeys, phone: &str) -> Option<String> {
    normalise_phone(phone).map(|p| keys.blind_index("contact.phone", &p))
}

pub fn email_index(keys: &DataKeys, email: &str) -> Option<String> {
    normalise_email(email).map(|e| keys.blind_index("contact.email", &e))
}

/// The indexes of a person's phone and email.
pub fn indexes_of(keys: &DataKeys, phone: Option<&str>, email: Option<&str>) -> Vec<String> {
    phone
        .and_then(|p| phone_index(keys, p))
        .into_iter()
        .chain(email.and_then(|e| email_index(keys, e)))
        .collect()
}

/// Stops messages to these contacts. `source` is `reply` or `staff`.
pub async fn opt_out<C: ConnectionTrait>(
    conn: &C,
    indexes: &[String],
    source: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for index in indexes {
        Entity::insert(ActiveModel {
            contact_index: Set(index.clone()),
            source: Set(source.to_string()),
            created_at: Set(now),
            created_by: Set(by),
        })
        .on_conflict(
            OnConflict::column(Column::ContactIndex)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Messages to these contacts may go again (the family asked staff).
pub async fn opt_in<C: ConnectionTrait>(conn: &C, indexes: &[String]) -> Result<(), StoreError> {
    Entity::delete_many()
        .filter(Column::ContactIndex.is_in(indexes.iter().cloned()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Whether any of these contacts opted out.
pub async fn any_opted_out<C: ConnectionTrait>(
    conn: &C,
    indexes: &[String],
) -> Result<bool, StoreError> {
    if indexes.is_empty() {
        return Ok(false);
    }
    Ok(Entity::find()
        .filter(Column::ContactIndex.is_in(indexes.iter().cloned()))
        .one(conn)
        .await?
        .is_some())
}
