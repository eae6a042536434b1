//! Storing many services at once, for imports: the same rules as
//! `services::upsert` (unchanged documents left alone, services edited in
//! Convene never overwritten, organisations created when unknown), but a
//! handful of statements per batch instead of a dozen per service.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use convene_domain::directory::ServiceRecord;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::changes;
use super::services::{self, LOCAL_SOURCE, Stored};
use crate::entities::{organisation, service, service_at_location, service_term, taxonomy_term};
use crate::{StoreError, organisations};

/// Rows per insert statement: well inside SQLite's and PostgreSQL's limits
/// on bound parameters.
const ROWS_PER_INSERT: usize = 400;

fn nothing_inserted_is_fine(result: Result<(), DbErr>) -> Result<(), StoreError> {
    match result {
        Ok(()) | Err(DbErr::RecordNotInserted) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// Stores `records` (checked services) from `source`; the outcome of each,
/// in order. Call inside a transaction.
pub async fn upsert_many<C: ConnectionTrait>(
    conn: &C,
    records: &[ServiceRecord],
    source: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Stored>, StoreError> {
    // The same service twice in one batch: the later must win, in order.
    let unique: HashSet<Uuid> = records.iter().map(|r| r.id).collect();
    if unique.len() != records.len() {
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            outcomes.push(services::upsert(conn, record, source, now).await?);
        }
        return Ok(outcomes);
    }
    let existing: HashMap<Uuid, service::Model> = service::Entity::find()
        .filter(service::Column::Id.is_in(unique.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut outcomes = Vec::with_capacity(records.len());
    let mut writes: Vec<(&ServiceRecord, String)> = Vec::new();
    for record in records {
        let document = serde_json::to_string(&record.document)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = match existing.get(&record.id) {
            Some(old) if old.document == document => Stored::Unchanged,
            Some(old) if old.source == LOCAL_SOURCE && source != LOCAL_SOURCE => Stored::Conflict,
            Some(_) => Stored::Updated,
            None => Stored::Created,
        };
        if matches!(outcome, Stored::Created | Stored::Updated) {
            writes.push((record, document));
        }
        outcomes.push(outcome);
    }
    if writes.is_empty() {
        return Ok(outcomes);
    }

    let wanted: HashSet<Uuid> = writes.iter().map(|(r, _)| r.organisation_id).collect();
    let known: HashSet<Uuid> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(wanted.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut created_organisations = HashSet::new();
    for (record, _) in &writes {
        let id = record.organisation_id;
        if !known.contains(&id) && created_organisations.insert(id) {
            organisations::insert(conn, id, &services::organisation_of(record), now).await?;
        }
    }

    let ids: Vec<Uuid> = writes.iter().map(|(r, _)| r.id).collect();
    for chunk in writes.chunks(ROWS_PER_INSERT) {
        let models = chunk.iter().map(|(record, document)| {
            services::service_model(
                record,
                document.clone(),
                source,
                existing.get(&record.id),
                now,
            )
        });
        service::Entity::insert_many(models)
            .on_conflict(services::replace_imported_columns())
            .exec_without_returning(conn)
            .await?;
    }

    service_at_location::Entity::delete_many()
        .filter(service_at_location::Column::ServiceId.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    let places: Vec<service_at_location::ActiveModel> = writes
        .iter()
        .flat_map(|(record, _)| {
            record
                .locations
                .iter()
                .map(|place| services::place_model(record.id, place))
        })
        .collect();
    for chunk in places.chunks(ROWS_PER_INSERT) {
        service_at_location::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }

    service_term::Entity::delete_many()
        .filter(service_term::Column::ServiceId.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    let mut terms: HashMap<Uuid, taxonomy_term::ActiveModel> = HashMap::new();
    let mut links: Vec<service_term::ActiveModel> = Vec::new();
    for (record, _) in &writes {
        let mut seen = HashSet::new();
        for term in &record.terms {
            // A term the directory has not seen is learnt from the service.
            terms
                .entry(term.id)
                .or_insert_with(|| services::term_model(term));
            if seen.insert(term.id) {
                links.push(service_term::ActiveModel {
                    service_id: Set(record.id),
                    term_id: Set(term.id),
                });
            }
        }
    }
    let terms: Vec<_> = terms.into_values().collect();
    for chunk in terms.chunks(ROWS_PER_INSERT) {
        nothing_inserted_is_fine(
            taxonomy_term::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(taxonomy_term::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(conn)
                .await
                .map(|_| ()),
        )?;
    }
    for chunk in links.chunks(ROWS_PER_INSERT) {
        service_term::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    changes::record_many(conn, &ids, now).await?;
    Ok(outcomes)
}
