//! The home page: what this instance is, who is in its partnership, and the
//! places it serves.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use convene_domain::organisations::{Organisation, OrganisationKind};
use convene_domain::places::Place;
use convene_store::{instance, organisations, places};

use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// Organisations of one kind, for one list on the page.
struct KindGroup {
    label: &'static str,
    organisations: Vec<Organisation>,
}

#[derive(Template)]
#[template(path = "home/index.html")]
struct HomePage {
    page: Page,
    instance_name: String,
    summary: Option<String>,
    groups: Vec<KindGroup>,
    places: Vec<Place>,
    organisation_count: usize,
}

async fn home(State(state): State<AppState>, page: Page) -> Result<Html<String>, AppError> {
    let conn = state.store.conn();
    let summary = instance::fact(conn, instance::SUMMARY_FACT).await?;
    let all = organisations::list(conn).await?;
    let organisation_count = all.len();
    let groups = OrganisationKind::ALL
        .into_iter()
        .map(|kind| KindGroup {
            label: kind.label(),
            organisations: all
                .iter()
                .filter(|o| o.details.kind == kind)
                .cloned()
                .collect(),
        })
        .filter(|group| !group.organisations.is_empty())
        .collect();
    let places = places::list(conn).await?;
    let template = HomePage {
        instance_name: page.service_name.clone(),
        page,
        summary,
        groups,
        places,
        organisation_count,
    };
    Ok(Html(template.render()?))
}
