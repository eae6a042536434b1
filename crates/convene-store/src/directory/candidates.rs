//! Services as search sees them (`Candidate`): each service's filter
//! columns with its places, terms, taxonomies, opening times and areas, for
//! the search index to load and follow.

use std::collections::HashMap;

use convene_domain::directory::areas::areas;
use convene_domain::directory::schedules::openings;
use convene_domain::directory::search::Candidate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::services::{ServiceFilter, condition_for, parse};
use crate::StoreError;
use crate::entities::{service, service_at_location, service_term, taxonomy_term};

/// Rows fetched per query when loading many services.
const CHUNK: usize = 500;

/// Every service matching the filter, by name.
pub async fn matching<C: ConnectionTrait>(
    conn: &C,
    filter: &ServiceFilter,
) -> Result<Vec<Candidate>, StoreError> {
    let rows = service::Entity::find()
        .filter(condition_for(filter))
        .order_by_asc(service::Column::Name)
        .order_by_asc(service::Column::Id)
        .all(conn)
        .await?;
    assemble(conn, rows).await
}

/// The active services among `ids` (a service that is inactive or gone is
/// simply absent).
pub async fn active_among<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> Result<Vec<Candidate>, StoreError> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            service::Entity::find()
                .filter(service::Column::Id.is_in(chunk.iter().copied()))
                .filter(service::Column::Status.eq("active"))
                .all(conn)
                .await?,
        );
    }
    assemble(conn, rows).await
}

async fn assemble<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<service::Model>,
) -> Result<Vec<Candidate>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut places: HashMap<Uuid, Vec<(f64, f64)>> = HashMap::new();
    let mut terms: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let links: Vec<(Uuid, Option<f64>, Option<f64>)> = service_at_location::Entity::find()
            .select_only()
            .columns([
                service_at_location::Column::ServiceId,
                service_at_location::Column::Latitude,
                service_at_location::Column::Longitude,
            ])
            .filter(service_at_location::Column::ServiceId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (service_id, latitude, longitude) in links {
            if let (Some(lat), Some(lon)) = (latitude, longitude) {
                places.entry(service_id).or_default().push((lat, lon));
            }
        }
        for tag in service_term::Entity::find()
            .filter(service_term::Column::ServiceId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            terms.entry(tag.service_id).or_default().push(tag.term_id);
        }
    }
    let taxonomy_of = taxonomies_of_terms(conn, &terms).await?;
    rows.into_iter()
        .map(|row| {
            let document = parse(&row.document)?;
            let term_ids = terms.remove(&row.id).unwrap_or_default();
            let mut taxonomy_ids: Vec<Uuid> = term_ids
                .iter()
                .filter_map(|t| taxonomy_of.get(t).copied())
                .collect();
            taxonomy_ids.sort_unstable();
            taxonomy_ids.dedup();
            Ok(Candidate {
                places: places.remove(&row.id).unwrap_or_default(),
                term_ids,
                taxonomy_ids,
                id: row.id,
                name: row.name,
                description: row.description,
                organisation_id: row.organisation_id,
                is_free: row.is_free,
                minimum_age: row.minimum_age.and_then(|a| u16::try_from(a).ok()),
                maximum_age: row.maximum_age.and_then(|a| u16::try_from(a).ok()),
                delivery_modes: row
                    .delivery_modes
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
                languages: row
                    .languages
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                last_modified: row.last_modified,
                openings: openings(&document),
                areas: areas(&document),
            })
        })
        .collect()
}

/// The taxonomy of each term these services carry.
async fn taxonomies_of_terms<C: ConnectionTrait>(
    conn: &C,
    terms: &HashMap<Uuid, Vec<Uuid>>,
) -> Result<HashMap<Uuid, Uuid>, StoreError> {
    let mut wanted: Vec<Uuid> = terms.values().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let rows: Vec<(Uuid, Option<Uuid>)> = taxonomy_term::Entity::find()
            .select_only()
            .columns([taxonomy_term::Column::Id, taxonomy_term::Column::TaxonomyId])
            .filter(taxonomy_term::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(
            rows.into_iter()
                .filter_map(|(id, taxonomy)| Some((id, taxonomy?))),
        );
    }
    Ok(found)
}
