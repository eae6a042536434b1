//! The data keys and the database must agree. At start-up every key the
//! database has sealed values with must be configured and must be the same
//! key (checked by opening a value sealed with it when it was first used),
//! so a wrong or missing key stops Convene loudly instead of writing data
//! no one can read. Rotation re-seals everything under the current key.

use convene_domain::sealing::DataKeys;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::records::context;
use crate::entities::person::{self, Column, Entity};
use crate::{Store, StoreError, instance};

const CHECK_PREFIX: &str = "data_key_check:";

/// The ids of the keys the database holds sealed values under (none for a
/// new instance).
pub async fn used(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(instance::facts_starting(store.conn(), CHECK_PREFIX)
        .await?
        .into_iter()
        .map(|(fact, _)| fact.trim_start_matches(CHECK_PREFIX).to_string())
        .collect())
}

/// Checks the configured keys against the database, and records a check
/// for the current key the first time it is used.
pub async fn verify(store: &Store, keys: &DataKeys) -> Result<(), StoreError> {
    let conn = store.conn();
    let checks = instance::facts_starting(conn, CHECK_PREFIX).await?;
    for (fact, check) in &checks {
        let id = fact.trim_start_matches(CHECK_PREFIX);
        if !keys.ids().any(|k| k == id) {
            return Err(StoreError::Sealing(format!(
                "the database holds personal data sealed with the key {id:?}, which is not configured; \
                 configure it (data_keys) or no one can read that data"
            )));
        }
        keys.verify_check(check).map_err(|_| {
            StoreError::Sealing(format!(
                "the configured key {id:?} is not the key this database was sealed with"
            ))
        })?;
    }
    let current = keys.current_id();
    if !checks
        .iter()
        .any(|(fact, _)| fact.trim_start_matches(CHECK_PREFIX) == current)
    {
        let check = keys
            .key_check(current)
            .map_err(|e| StoreError::Sealing(e.to_string()))?;
        instance::set_fact(conn, &format!("{CHECK_PREFIX}{current}"), &check).await?;
    }
    Ok(())
}

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    pub resealed: u64,
    /// Keys no longer needed by any value; they can be removed from the
    /// configuration.
    pub retired: Vec<String>,
}

/// Re-seals every sealed value not under the current key, a page of
/// people per transaction, then forgets the checks of keys nothing uses.
pub async fn rotate(store: &Store, keys: &DataKeys) -> Result<Rotation, StoreError> {
    verify(store, keys).await?;
    let mut rotation = Rotation::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = Entity::find().order_by_asc(Column::Id).limit(200);
        if let Some(after) = after {
            query = query.filter(Column::Id.gt(after));
        }
        let rows = query.all(store.conn()).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        let keys = keys.clone();
        rotation.resealed += store
            .transaction(move |txn| {
                Box::pin(async move {
                    let mut count = 0;
                    for row in rows {
                        if let Some(model) = resealed(&keys, row)? {
                            Entity::update(model).exec(txn).await?;
                            count += 1;
                        }
                    }
                    Ok(count)
                })
            })
            .await?;
    }
    rotation.resealed += reseal_other_tables(store, keys).await?;
    for (fact, _) in instance::facts_starting(store.conn(), CHECK_PREFIX).await? {
        let id = fact.trim_start_matches(CHECK_PREFIX).to_string();
        if id != keys.current_id() {
            instance::remove_fact(store.conn(), &fact).await?;
            rotation.retired.push(id);
        }
    }
    Ok(rotation)
}

/// The row with every sealed value under the current key, if any changed.
fn resealed(
    keys: &DataKeys,
    row: person::Model,
) -> Result<Option<person::ActiveModel>, StoreError> {
    let id = row.id;
    let mut changed = false;
    let mut again = |column: &str, value: &str| -> Result<String, StoreError> {
        match keys
            .reseal(value, &context(column, id))
            .map_err(|e| StoreError::Sealing(e.to_string()))?
        {
            Some(new) => {
                changed = true;
                Ok(new)
            }
            None => Ok(value.to_string()),
        }
    };
    let mut model: person::ActiveModel = row.clone().into();
    model.given_name = Set(again("given_name", &row.given_name)?);
    model.family_name = Set(again("family_name", &row.family_name)?);
    let optional =
        |value: &Option<String>,
         column: &str,
         again: &mut dyn FnMut(&str, &str) -> Result<String, StoreError>| {
            value.as_deref().map(|v| again(column, v)).transpose()
        };
    model.date_of_birth = Set(optional(&row.date_of_birth, "date_of_birth", &mut again)?);
    model.phone = Set(optional(&row.phone, "phone", &mut again)?);
    model.email = Set(optional(&row.email, "email", &mut again)?);
    model.preferred_language = Set(optional(
        &row.preferred_language,
        "preferred_language",
        &mut again,
    )?);
    model.school = Set(optional(&row.school, "school", &mut again)?);
    model.postcode = Set(optional(&row.postcode, "postcode", &mut again)?);
    Ok(changed.then_some(model))
}

/// Re-seals the sealed columns outside the people table: referral reasons
/// and decline reasons, history details, and sharing purposes and
/// justifications. Returns how many values changed.
async fn reseal_other_tables(store: &Store, keys: &DataKeys) -> Result<u64, StoreError> {
    use crate::entities::{referral, referral_event, share};
    let again = |value: &str, context: String| -> Result<Option<String>, StoreError> {
        keys.reseal(value, &context)
            .map_err(|e| StoreError::Sealing(e.to_string()))
    };
    let mut count = 0;
    for row in referral::Entity::find().all(store.conn()).await? {
        let reason = again(&row.reason, format!("referrals.reason.{}", row.id))?;
        let decline = match &row.decline_reason {
            Some(d) => again(d, format!("referrals.decline_reason.{}", row.id))?,
            None => None,
        };
        if reason.is_some() || decline.is_some() {
            let mut model: referral::ActiveModel = row.clone().into();
            if let Some(reason) = reason {
                model.reason = Set(reason);
                count += 1;
            }
            if let Some(decline) = decline {
                model.decline_reason = Set(Some(decline));
                count += 1;
            }
            sea_orm::ActiveModelTrait::update(model, store.conn()).await?;
        }
    }
    for row in referral_event::Entity::find()
        .filter(referral_event::Column::Detail.is_not_null())
        .all(store.conn())
        .await?
    {
        if let Some(detail) = &row.detail
            && let Some(new) = again(detail, format!("referrals.event.{}", row.id))?
        {
            let mut model: referral_event::ActiveModel = row.clone().into();
            model.detail = Set(Some(new));
            sea_orm::ActiveModelTrait::update(model, store.conn()).await?;
            count += 1;
        }
    }
    for row in share::Entity::find().all(store.conn()).await? {
        let purpose = match &row.purpose {
            Some(p) => again(p, format!("shares.purpose.{}", row.id))?,
            None => None,
        };
        let justification = match &row.justification {
            Some(j) => again(j, format!("shares.justification.{}", row.id))?,
            None => None,
        };
        if purpose.is_some() || justification.is_some() {
            let mut model: share::ActiveModel = row.clone().into();
            if let Some(p) = purpose {
                model.purpose = Set(Some(p));
                count += 1;
            }
            if let Some(j) = justification {
                model.justification = Set(Some(j));
                count += 1;
            }
            sea_orm::ActiveModelTrait::update(model, store.conn()).await?;
        }
    }
    Ok(count)
}
