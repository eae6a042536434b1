//! Storing many services at once, for imports: the same rules as
//! `services::upsert` (unchanged documents left alone, services edited in
//! Convene never overwritten, organisations created when unknown), but a
//! handful of statements per batch instead of a dozen per service.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use convene_domain::directory::ServiceRecord;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
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
            let details = OrganisationDetails {
                name: record
                    .organisation_name
                    .clone()
                    .unwrap_or_else(|| "Unnamed organisation".to_string()),
                kind: OrganisationKind::Other,
                email: None,
                phone: None,
                website: None,
                address: None,
            };
            organisations::insert(conn, id, &details, now).await?;
        }
    }

    let ids: Vec<Uuid> = writes.iter().map(|(r, _)| r.id).collect();
    for chunk in writes.chunks(ROWS_PER_INSERT) {
        let models = chunk.iter().map(|(record, document)| {
            let old = existing.get(&record.id);
            service::ActiveModel {
                id: Set(record.id),
                organisation_id: Set(record.organisation_id),
                name: Set(record.name.clone()),
                description: Set(record.description.clone()),
                status: Set(record.status.code().to_string()),
                minimum_age: Set(record.minimum_age.map(i32::from)),
                maximum_age: Set(record.maximum_age.map(i32::from)),
                is_free: Set(record.is_free),
                languages: Set(record.languages.join("\n")),
                document: Set(document.clone()),
                source: Set(source.to_string()),
                last_modified: Set(record.last_modified.unwrap_or(now)),
                created_at: Set(old.map_or(now, |e| e.created_at)),
                updated_at: Set(now),
                delivery_modes: Set(old.map(|e| e.delivery_modes.clone()).unwrap_or_default()),
                who_can_refer: Set(old.map(|e| e.who_can_refer.clone()).unwrap_or_default()),
                last_reviewed_at: Set(old.and_then(|e| e.last_reviewed_at)),
                reviewed_by: Set(old.and_then(|e| e.reviewed_by)),
                ..Default::default()
            }
        });
        service::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(service::Column::Id)
                    .update_columns([
                        service::Column::OrganisationId,
                        service::Column::Name,
                        service::Column::Description,
                        service::Column::Status,
                        service::Column::MinimumAge,
                        service::Column::MaximumAge,
                        service::Column::IsFree,
                        service::Column::Languages,
                        service::Column::Document,
                        service::Column::Source,
                        service::Column::LastModified,
                        service::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
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
                .map(|place| service_at_location::ActiveModel {
                    id: Set(place.id),
                    service_id: Set(record.id),
                    location_id: Set(place.location_id),
                    name: Set(place.name.clone()),
                    postcode: Set(place.postcode.as_ref().map(|p| p.as_str().to_string())),
                    latitude: Set(place.coordinates.map(|c| c.0)),
                    longitude: Set(place.coordinates.map(|c| c.1)),
                    location: Set(serde_json::to_string(&place.location).unwrap_or_default()),
                })
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
                .or_insert_with(|| taxonomy_term::ActiveModel {
                    id: Set(term.id),
                    code: Set(None),
                    name: Set(term.name.clone()),
                    description: Set(term.description.clone()),
                    parent_id: Set(term.parent_id),
                    taxonomy_id: Set(term.taxonomy_id),
                    taxonomy: Set(term.taxonomy.clone()),
                    term_uri: Set(term.term_uri.clone()),
                });
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
