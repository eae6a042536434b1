//! One service's public page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use convene_store::directory::services;
use serde_json::Value;
use uuid::Uuid;

use super::view::{self, PlaceView};
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "directory/service.html")]
pub struct ServicePage {
    pub page: Page,
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub description: String,
    pub ages: String,
    pub cost: String,
    pub times: Vec<String>,
    pub places: Vec<PlaceView>,
    pub needs: Vec<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    pub phones: Vec<String>,
    pub errors: FormErrors,
    pub message: String,
    /// Families may ask this service for help themselves, online.
    pub self_referral: bool,
}

/// A service that is shown to the public: found and active.
pub async fn public_document(state: &AppState, id: &str) -> Result<Value, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    services::document(state.store.conn(), id)
        .await?
        .filter(|doc| doc.get("status").and_then(Value::as_str) == Some("active"))
        .ok_or(AppError::NotFound)
}

/// Whether families may refer themselves to the service: its organisation
/// says so, and it is not paused.
pub async fn takes_self_referrals(state: &AppState, id: &str) -> Result<bool, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let conn = state.store.conn();
    let Some(row) = services::row(conn, id).await? else {
        return Ok(false);
    };
    let (paused, _) = convene_store::referrals::intake::intake_of(conn, id).await?;
    Ok(matches!(row.who_can_refer.as_str(), "self" | "both") && !paused)
}

pub fn render(
    page: Page,
    doc: &Value,
    errors: FormErrors,
    message: String,
    self_referral: bool,
) -> Result<String, AppError> {
    let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);
    let needs = doc
        .get("attributes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    x.get("taxonomy_term")?
                        .get("name")?
                        .as_str()
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    let phones = doc
        .get("contacts")
        .and_then(Value::as_array)
        .map(|contacts| {
            contacts
                .iter()
                .flat_map(|c| {
                    c.get("phones")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                })
                .filter_map(|p| p.get("number").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let template = ServicePage {
        page,
        id: text("id").unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        organisation: doc
            .get("organization")
            .and_then(|o| o.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        description: text("description").unwrap_or_default(),
        ages: view::ages(doc),
        cost: view::cost(doc),
        times: view::times(doc),
        places: view::places(doc),
        needs,
        email: text("email"),
        url: text("url").filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        phones,
        errors,
        message,
        self_referral,
    };
    Ok(template.render()?)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let doc = public_document(&state, &id).await?;
    let open = takes_self_referrals(&state, &id).await?;
    Ok(Html(render(
        page,
        &doc,
        FormErrors::default(),
        String::new(),
        open,
    )?)
    .into_response())
}
