//! Postcodes and where they are, loaded from the ONS postcode directory (or
//! the demo's fictional table), so distance needs no outside service.

use convene_domain::directory::postcodes::Postcode;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::StoreError;
use crate::entities::postcode;

#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeLocation {
    pub postcode: Postcode,
    pub latitude: f64,
    pub longitude: f64,
    pub lsoa: Option<String>,
}

/// Adds or replaces postcodes, in batches.
pub async fn upsert<C: ConnectionTrait>(
    conn: &C,
    rows: &[PostcodeLocation],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|row| postcode::ActiveModel {
            postcode: Set(row.postcode.as_str().to_string()),
            latitude: Set(row.latitude),
            longitude: Set(row.longitude),
            lsoa: Set(row.lsoa.clone()),
        });
        postcode::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(postcode::Column::Postcode)
                    .update_columns([
                        postcode::Column::Latitude,
                        postcode::Column::Longitude,
                        postcode::Column::Lsoa,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    code: &Postcode,
) -> Result<Option<PostcodeLocation>, StoreError> {
    Ok(postcode::Entity::find_by_id(code.as_str().to_string())
        .one(conn)
        .await?
        .map(|m| PostcodeLocation {
            postcode: code.clone(),
            latitude: m.latitude,
            longitude: m.longitude,
            lsoa: m.lsoa,
        }))
}
