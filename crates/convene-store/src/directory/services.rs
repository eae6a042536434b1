//! Services: stored as their whole ORUK document plus the columns and rows
//! that filtering needs, all replaced together in one transaction.

use chrono::{DateTime, Utc};
use convene_domain::directory::ServiceRecord;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;
use uuid::Uuid;

use super::changes;
use crate::entities::{service, service_at_location, service_term, taxonomy_term};
use crate::{StoreError, organisations};

/// What storing a service did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Created,
    Updated,
    Unchanged,
    /// Edited in Convene since it was imported: the import did not
    /// overwrite it, and lists it for someone to review.
    Conflict,
}

/// The source of services made or edited in Convene itself.
pub const LOCAL_SOURCE: &str = "local";

/// Stores (or replaces) a checked service. Its organisation is created if
/// Convene does not know it yet. Call inside a transaction: the service,
/// its places, its terms and its entry in the change sequence change
/// together or not at all.
pub async fn upsert<C: ConnectionTrait>(
    conn: &C,
    record: &ServiceRecord,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Stored, StoreError> {
    let document =
        serde_json::to_string(&record.document).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let existing = service::Entity::find_by_id(record.id).one(conn).await?;
    if let Some(existing) = &existing {
        if existing.document == document {
            return Ok(Stored::Unchanged);
        }
        if existing.source == LOCAL_SOURCE && source != LOCAL_SOURCE {
            return Ok(Stored::Conflict);
        }
    }
    if organisations::get(conn, record.organisation_id)
        .await?
        .is_none()
    {
        organisations::insert(conn, record.organisation_id, &organisation_of(record), now).await?;
    }
    service::Entity::insert(service_model(
        record,
        document,
        source,
        existing.as_ref(),
        now,
    ))
    .on_conflict(replace_imported_columns())
    .exec_without_returning(conn)
    .await?;

    service_at_location::Entity::delete_many()
        .filter(service_at_location::Column::ServiceId.eq(record.id))
        .exec(conn)
        .await?;
    for place in &record.locations {
        service_at_location::Entity::insert(place_model(record.id, place))
            .exec_without_returning(conn)
            .await?;
    }
    service_term::Entity::delete_many()
        .filter(service_term::Column::ServiceId.eq(record.id))
        .exec(conn)
        .await?;
    for term in &record.terms {
        // A term the directory has not seen is learnt from the service.
        taxonomy_term::Entity::insert(term_model(term))
            .on_conflict(
                OnConflict::column(taxonomy_term::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await
            .or_else(|e| {
                if matches!(e, sea_orm::DbErr::RecordNotInserted) {
                    Ok(0)
                } else {
                    Err(e)
                }
            })?;
        let link = service_term::ActiveModel {
            service_id: Set(record.id),
            term_id: Set(term.id),
        };
        service_term::Entity::insert(link)
            .exec_without_returning(conn)
            .await?;
    }
    changes::record(conn, record.id, now).await?;
    Ok(if existing.is_some() {
        Stored::Updated
    } else {
        Stored::Created
    })
}

/// The organisation Convene creates for a service whose organisation it
/// does not know yet.
pub(super) fn organisation_of(record: &ServiceRecord) -> OrganisationDetails {
    OrganisationDetails {
        name: record
            .organisation_name
            .clone()
            .unwrap_or_else(|| "Unnamed organisation".to_string()),
        kind: OrganisationKind::Other,
        email: None,
        phone: None,
        website: None,
        address: None,
    }
}

/// The service row for `record`, keeping Convene's own fields (delivery,
/// who can refer, review) from the row it replaces.
pub(super) fn service_model(
    record: &ServiceRecord,
    document: String,
    source: &str,
    existing: Option<&service::Model>,
    now: DateTime<Utc>,
) -> service::ActiveModel {
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
        document: Set(document),
        source: Set(source.to_string()),
        last_modified: Set(record.last_modified.unwrap_or(now)),
        created_at: Set(existing.map_or(now, |e| e.created_at)),
        updated_at: Set(now),
        delivery_modes: Set(existing
            .map(|e| e.delivery_modes.clone())
            .unwrap_or_default()),
        who_can_refer: Set(existing
            .map(|e| e.who_can_refer.clone())
            .unwrap_or_default()),
        last_reviewed_at: Set(existing.and_then(|e| e.last_reviewed_at)),
        reviewed_by: Set(existing.and_then(|e| e.reviewed_by)),
        ..Default::default()
    }
}

/// On an id already stored: replace what the document decides, keep
/// Convene's own fields and intake settings.
pub(super) fn replace_imported_columns() -> OnConflict {
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
        .to_owned()
}

pub(super) fn place_model(
    service_id: Uuid,
    place: &convene_domain::directory::LocationEntry,
) -> service_at_location::ActiveModel {
    service_at_location::ActiveModel {
        id: Set(place.id),
        service_id: Set(service_id),
        location_id: Set(place.location_id),
        name: Set(place.name.clone()),
        postcode: Set(place.postcode.as_ref().map(|p| p.as_str().to_string())),
        latitude: Set(place.coordinates.map(|c| c.0)),
        longitude: Set(place.coordinates.map(|c| c.1)),
        location: Set(serde_json::to_string(&place.location).unwrap_or_default()),
    }
}

pub(super) fn term_model(
    term: &convene_domain::directory::TermEntry,
) -> taxonomy_term::ActiveModel {
    taxonomy_term::ActiveModel {
        id: Set(term.id),
        code: Set(None),
        name: Set(term.name.clone()),
        description: Set(term.description.clone()),
        parent_id: Set(term.parent_id),
        taxonomy_id: Set(term.taxonomy_id),
        taxonomy: Set(term.taxonomy.clone()),
        term_uri: Set(term.term_uri.clone()),
    }
}

/// A service's document, as stored.
pub async fn document<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Value>, StoreError> {
    service::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|m| parse(&m.document))
        .transpose()
}

/// The documents of these services, in one query per 500, keyed by id.
pub async fn documents<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Value>, StoreError> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for row in service::Entity::find()
            .filter(service::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            found.insert(row.id, parse(&row.document)?);
        }
    }
    Ok(found)
}

pub(super) fn parse(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("service document: {e}")))
}

/// Filters of the ORUK `/services` endpoint (AND semantics).
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    pub active_only: bool,
    pub organisation_id: Option<Uuid>,
    pub taxonomy_term_id: Option<Uuid>,
    pub taxonomy_id: Option<Uuid>,
    pub modified_after: Option<DateTime<Utc>>,
    /// Services whose age range overlaps [minimum_age, maximum_age].
    pub minimum_age: Option<u16>,
    pub maximum_age: Option<u16>,
    pub text: Option<String>,
}

/// The SQL condition for a filter (AND of everything given).
pub(super) fn condition_for(filter: &ServiceFilter) -> Condition {
    let mut condition = Condition::all();
    if filter.active_only {
        condition = condition.add(service::Column::Status.eq("active"));
    }
    if let Some(id) = filter.organisation_id {
        condition = condition.add(service::Column::OrganisationId.eq(id));
    }
    if let Some(after) = filter.modified_after {
        // ORUK: modified on or after.
        condition = condition.add(service::Column::LastModified.gte(after));
    }
    if let Some(term) = filter.taxonomy_term_id {
        let tagged = Query::select()
            .column(service_term::Column::ServiceId)
            .from(service_term::Entity)
            .and_where(service_term::Column::TermId.eq(term))
            .to_owned();
        condition = condition.add(service::Column::Id.in_subquery(tagged));
    }
    if let Some(taxonomy) = filter.taxonomy_id {
        let terms = Query::select()
            .column(taxonomy_term::Column::Id)
            .from(taxonomy_term::Entity)
            .and_where(taxonomy_term::Column::TaxonomyId.eq(taxonomy))
            .to_owned();
        let tagged = Query::select()
            .column(service_term::Column::ServiceId)
            .from(service_term::Entity)
            .and_where(service_term::Column::TermId.in_subquery(terms))
            .to_owned();
        condition = condition.add(service::Column::Id.in_subquery(tagged));
    }
    // Overlap: the service's range is open where it gives no limit.
    if let Some(min) = filter.minimum_age {
        condition = condition.add(
            Condition::any()
                .add(service::Column::MaximumAge.is_null())
                .add(service::Column::MaximumAge.gte(i32::from(min))),
        );
    }
    if let Some(max) = filter.maximum_age {
        condition = condition.add(
            Condition::any()
                .add(service::Column::MinimumAge.is_null())
                .add(service::Column::MinimumAge.lte(i32::from(max))),
        );
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_', '\\'], ""));
        condition = condition.add(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(service::Column::Name))).like(pattern.clone()),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(service::Column::Description))).like(pattern),
                ),
        );
    }
    condition
}

/// One page of matching documents (by name, then id) and the total.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    filter: &ServiceFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Value>, u64), StoreError> {
    let total = total(conn, filter).await?;
    Ok((page_documents(conn, filter, page, per_page).await?, total))
}

/// How many services match (a cached total: `totals::ServiceTotals`).
pub async fn total<C: ConnectionTrait>(
    conn: &C,
    filter: &ServiceFilter,
) -> Result<u64, StoreError> {
    Ok(service::Entity::find()
        .filter(condition_for(filter))
        .count(conn)
        .await?)
}

/// One page of matching documents, by name then id.
pub async fn page_documents<C: ConnectionTrait>(
    conn: &C,
    filter: &ServiceFilter,
    page: u64,
    per_page: u64,
) -> Result<Vec<Value>, StoreError> {
    let query = service::Entity::find().filter(condition_for(filter));
    // The page's ids first, from the (status, name, id) index alone; then
    // only their documents. Sorting whole rows would carry every
    // document through the sort.
    let ids: Vec<Uuid> = query
        .select_only()
        .column(service::Column::Id)
        .order_by_asc(service::Column::Name)
        .order_by_asc(service::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .into_tuple()
        .all(conn)
        .await?;
    let mut found = documents(conn, &ids).await?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

pub async fn count<C: ConnectionTrait>(conn: &C) -> Result<u64, StoreError> {
    Ok(service::Entity::find().count(conn).await?)
}

/// A service-at-location link with its service's id.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAtLocation {
    pub id: Uuid,
    pub service_id: Uuid,
    pub location_id: Uuid,
    pub location: Value,
}

pub async fn service_at_location<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<ServiceAtLocation>, StoreError> {
    service_at_location::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_link)
        .transpose()
}

/// One page of links to active services, and the total.
pub async fn service_at_locations<C: ConnectionTrait>(
    conn: &C,
    page: u64,
    per_page: u64,
) -> Result<(Vec<ServiceAtLocation>, u64), StoreError> {
    let active = Query::select()
        .column(service::Column::Id)
        .from(service::Entity)
        .and_where(service::Column::Status.eq("active"))
        .to_owned();
    let query = service_at_location::Entity::find()
        .filter(service_at_location::Column::ServiceId.in_subquery(active));
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(service_at_location::Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((
        rows.into_iter().map(to_link).collect::<Result<_, _>>()?,
        total,
    ))
}

fn to_link(model: service_at_location::Model) -> Result<ServiceAtLocation, StoreError> {
    Ok(ServiceAtLocation {
        id: model.id,
        service_id: model.service_id,
        location_id: model.location_id,
        location: parse(&model.location)?,
    })
}

/// Convene's own fields and review of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
    pub status: String,
    pub delivery_modes: Vec<String>,
    pub who_can_refer: String,
    pub last_reviewed_at: Option<DateTime<Utc>>,
}

fn to_row(m: service::Model) -> ServiceRow {
    ServiceRow {
        id: m.id,
        name: m.name,
        organisation_id: m.organisation_id,
        status: m.status,
        delivery_modes: m
            .delivery_modes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        who_can_refer: m.who_can_refer,
        last_reviewed_at: m.last_reviewed_at,
    }
}

pub async fn row<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<ServiceRow>, StoreError> {
    Ok(service::Entity::find_by_id(id).one(conn).await?.map(to_row))
}

/// Services of these organisations (all when `None`), by name.
pub async fn rows<C: ConnectionTrait>(
    conn: &C,
    organisations: Option<&[Uuid]>,
) -> Result<Vec<ServiceRow>, StoreError> {
    let mut query = service::Entity::find();
    if let Some(ids) = organisations {
        query = query.filter(service::Column::OrganisationId.is_in(ids.iter().copied()));
    }
    Ok(query
        .order_by_asc(service::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(to_row)
        .collect())
}

/// Services' names by id (one query for a page of a list).
pub async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(service::Entity::find()
        .select_only()
        .column(service::Column::Id)
        .column(service::Column::Name)
        .filter(service::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

/// Records Convene's own fields and that someone reviewed the service now.
pub async fn set_local_fields<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    delivery_modes: &[String],
    who_can_refer: &str,
    reviewed_by: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    service::Entity::update_many()
        .col_expr(
            service::Column::DeliveryModes,
            Expr::value(delivery_modes.join(",")),
        )
        .col_expr(service::Column::WhoCanRefer, Expr::value(who_can_refer))
        .col_expr(service::Column::LastReviewedAt, Expr::value(at))
        .col_expr(service::Column::ReviewedBy, Expr::value(reviewed_by))
        .filter(service::Column::Id.eq(id))
        .exec(conn)
        .await?;
    changes::record(conn, id, at).await?;
    Ok(())
}

/// Listings for duplicate detection: names, organisations and postcodes.
pub async fn listings<C: ConnectionTrait>(
    conn: &C,
    organisations: Option<&[Uuid]>,
) -> Result<Vec<convene_domain::directory::duplicates::Listing>, StoreError> {
    let rows = rows(conn, organisations).await?;
    let mut postcodes: std::collections::HashMap<Uuid, Vec<String>> =
        std::collections::HashMap::new();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(500) {
        for link in service_at_location::Entity::find()
            .filter(service_at_location::Column::ServiceId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            if let Some(code) = link.postcode {
                postcodes.entry(link.service_id).or_default().push(code);
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| convene_domain::directory::duplicates::Listing {
            postcodes: postcodes.remove(&row.id).unwrap_or_default(),
            id: row.id,
            name: row.name,
            organisation_id: row.organisation_id,
        })
        .collect())
}

/// Marks inactive every active service imported from `source` that is not
/// in `still_listed` (it disappeared from the feed), and returns their ids.
/// Services edited in Convene are never touched (their source is `local`).
pub async fn deactivate_missing<C: ConnectionTrait>(
    conn: &C,
    source: &str,
    still_listed: &std::collections::HashSet<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    let rows = service::Entity::find()
        .filter(service::Column::Source.eq(source))
        .filter(service::Column::Status.eq("active"))
        .all(conn)
        .await?;
    let mut gone = Vec::new();
    for row in rows.into_iter().filter(|r| !still_listed.contains(&r.id)) {
        let mut document = parse(&row.document)?;
        document["status"] = Value::String("inactive".to_string());
        service::Entity::update_many()
            .col_expr(service::Column::Status, Expr::value("inactive"))
            .col_expr(service::Column::Document, Expr::value(document.to_string()))
            .col_expr(service::Column::UpdatedAt, Expr::value(now))
            .filter(service::Column::Id.eq(row.id))
            .exec(conn)
            .await?;
        changes::record(conn, row.id, now).await?;
        gone.push(row.id);
    }
    Ok(gone)
}
