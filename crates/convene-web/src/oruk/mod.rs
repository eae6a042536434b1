//! The Open Referral UK 3.0 read API under `/oruk`: the nine endpoints of
//! the ORUK OpenAPI document, paged with the `Page` shape, open to all (no
//! key, `Access-Control-Allow-Origin: *`), with only approved, active
//! services and optional fields omitted when empty.

mod page;
mod params;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use convene_domain::directory::document::tidy;
use convene_store::directory::{services, taxonomies};
use serde_json::{Map, Value, json};
use tower_http::set_header::SetResponseHeaderLayer;
use uuid::Uuid;

use self::page::page_of;
use self::params::{ListParams, ServiceParams};
use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oruk", get(about))
        .route("/oruk/", get(about))
        .route("/oruk/services", get(list_services))
        .route("/oruk/services/{id}", get(service))
        .route("/oruk/service_at_locations", get(list_service_at_locations))
        .route("/oruk/service_at_locations/{id}", get(service_at_location))
        .route("/oruk/taxonomies", get(list_taxonomies))
        .route("/oruk/taxonomies/{id}", get(taxonomy))
        .route("/oruk/taxonomy_terms", get(list_terms))
        .route("/oruk/taxonomy_terms/{id}", get(term))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
}

async fn about(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "version": "3.0",
        "profile": "https://github.com/OpenReferralUK/uk-profile",
        "openapi_url": "https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/openapi.json",
        "name": state.settings.instance_name,
    }))
}

/// The fields of a service in list form: its own values and its
/// organisation, without the nested collections.
fn list_form(document: &Value) -> Value {
    let Some(object) = document.as_object() else {
        return document.clone();
    };
    let kept: Map<String, Value> = object
        .iter()
        .filter(|(key, value)| {
            !value.is_array() && (!value.is_object() || key.as_str() == "organization")
        })
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(kept)
}

/// Only the identity of a service (`minimal=true`).
fn minimal_form(document: &Value) -> Value {
    let mut kept = Map::new();
    for key in ["id", "name", "status", "organization_id"] {
        if let Some(value) = document.get(key) {
            kept.insert(key.to_string(), value.clone());
        }
    }
    if let Some(id) = document.get("organization").and_then(|o| o.get("id")) {
        kept.entry("organization_id").or_insert(id.clone());
    }
    Value::Object(kept)
}

async fn list_services(
    State(state): State<AppState>,
    Query(params): Query<ServiceParams>,
) -> Result<Response, AppError> {
    let plan = params.plan(&state).await?;
    let (page_number, per_page) = params.list.page()?;
    let (minimal, full) = (params.minimal()?, params.full()?);
    let ndjson_wanted = params.is_ndjson()?;
    let Some(query) = plan.memory else {
        if ndjson_wanted {
            return ndjson(&state, &plan.filter).await;
        }
        let conn = state.store.conn();
        let total = state.service_totals.total(conn, &plan.filter).await?;
        let documents = services::page_documents(conn, &plan.filter, page_number, per_page).await?;
        return Ok(Json(page_of(
            shaped(&documents, minimal, full),
            total,
            page_number,
            per_page,
        ))
        .into_response());
    };
    // Answered by the search index: best words first, then nearest.
    let (offset, limit) = if ndjson_wanted {
        (0, usize::MAX)
    } else {
        (
            usize::try_from((page_number - 1) * per_page).unwrap_or(usize::MAX),
            usize::try_from(per_page).unwrap_or(usize::MAX),
        )
    };
    let found = state.directory.search(&query, offset, limit, &[])?;
    let total = found.total as u64;
    let chosen = found.hits;
    let ids: Vec<Uuid> = chosen.iter().map(|hit| hit.id).collect();
    let mut found = services::documents(state.store.conn(), &ids).await?;
    let documents: Vec<Value> = ids.iter().filter_map(|id| found.remove(id)).collect();
    if ndjson_wanted {
        let body: String = documents.iter().map(|d| format!("{d}\n")).collect();
        return Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response());
    }
    Ok(Json(page_of(
        shaped(&documents, minimal, full),
        total,
        page_number,
        per_page,
    ))
    .into_response())
}

/// Each document in the form asked for.
fn shaped(documents: &[Value], minimal: bool, full: bool) -> Vec<Value> {
    documents
        .iter()
        .map(|doc| {
            if minimal {
                minimal_form(doc)
            } else if full {
                doc.clone()
            } else {
                list_form(doc)
            }
        })
        .collect()
}

/// The whole feed, one full service per line, read a page at a time so the
/// server never holds it all.
async fn ndjson(state: &AppState, filter: &services::ServiceFilter) -> Result<Response, AppError> {
    let mut body = String::new();
    let conn = state.store.conn();
    // Counted once (and kept until the directory changes), not again for
    // every page of 500: at national scale the count was most of the work.
    let total = state.service_totals.total(conn, filter).await?;
    let mut page = 1;
    loop {
        let documents = services::page_documents(conn, filter, page, 500).await?;
        for doc in &documents {
            body.push_str(&doc.to_string());
            body.push('\n');
        }
        if documents.is_empty() || page * 500 >= total {
            break;
        }
        page += 1;
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let document = services::document(state.store.conn(), id)
        .await?
        .filter(|doc| doc.get("status").and_then(Value::as_str) == Some("active"))
        .ok_or(AppError::NotFound)?;
    Ok(Json(document).into_response())
}

fn parse_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

fn service_at_location_json(link: &services::ServiceAtLocation) -> Value {
    tidy(json!({
        "id": link.id,
        "service_id": link.service_id,
        "location_id": link.location_id,
        "location": link.location,
    }))
    .unwrap_or(Value::Null)
}

async fn list_service_at_locations(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let (page_number, per_page) = params.page()?;
    let (links, total) =
        services::service_at_locations(state.store.conn(), page_number, per_page).await?;
    let mut items = Vec::with_capacity(links.len());
    for link in &links {
        let mut item = service_at_location_json(link);
        if let (Some(object), Some(doc)) = (
            item.as_object_mut(),
            services::document(state.store.conn(), link.service_id).await?,
        ) {
            object.insert("service".to_string(), list_form(&doc));
        }
        items.push(item);
    }
    Ok(Json(page_of(items, total, page_number, per_page)).into_response())
}

async fn service_at_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let link = services::service_at_location(state.store.conn(), parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let document = services::document(state.store.conn(), link.service_id)
        .await?
        .filter(|doc| doc.get("status").and_then(Value::as_str) == Some("active"))
        .ok_or(AppError::NotFound)?;
    let mut item = service_at_location_json(&link);
    if let Some(object) = item.as_object_mut() {
        object.insert("service".to_string(), document);
    }
    Ok(Json(item).into_response())
}

fn taxonomy_json(taxonomy: &taxonomies::Taxonomy) -> Value {
    tidy(json!({
        "id": taxonomy.id,
        "name": taxonomy.name,
        "description": taxonomy.description,
        "uri": taxonomy.uri,
        "version": taxonomy.version,
    }))
    .unwrap_or(Value::Null)
}

fn term_json(term: &taxonomies::Term) -> Value {
    tidy(json!({
        "id": term.id,
        "name": term.name,
        "description": term.description,
        "parent_id": term.parent_id,
        "taxonomy": term.taxonomy,
        "taxonomy_id": term.taxonomy_id,
        "term_uri": term.term_uri,
        "code": term.code,
    }))
    .unwrap_or(Value::Null)
}

async fn list_taxonomies(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let (page_number, per_page) = params.page()?;
    let (list, total) = taxonomies::taxonomies(state.store.conn(), page_number, per_page).await?;
    let items = list.iter().map(taxonomy_json).collect();
    Ok(Json(page_of(items, total, page_number, per_page)).into_response())
}

async fn taxonomy(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let found = taxonomies::taxonomy(state.store.conn(), parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(taxonomy_json(&found)).into_response())
}

#[derive(Debug, serde::Deserialize)]
struct TermParams {
    #[serde(flatten)]
    list: ListParams,
    taxonomy_id: Option<String>,
}

async fn list_terms(
    State(state): State<AppState>,
    Query(params): Query<TermParams>,
) -> Result<Response, AppError> {
    let (page_number, per_page) = params.list.page()?;
    let taxonomy_id = match params.taxonomy_id.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => Some(
            Uuid::parse_str(text)
                .map_err(|_| AppError::BadRequest("taxonomy_id must be a UUID".into()))?,
        ),
    };
    let (list, total) =
        taxonomies::terms(state.store.conn(), taxonomy_id, page_number, per_page).await?;
    let items = list.iter().map(term_json).collect();
    Ok(Json(page_of(items, total, page_number, per_page)).into_response())
}

async fn term(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let found = taxonomies::term(state.store.conn(), parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(term_json(&found)).into_response())
}
