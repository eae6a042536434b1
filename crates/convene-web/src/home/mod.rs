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
    /// How many of this kind are not named.
    more: u64,
}

/// Organisations named per kind: a national directory brings thousands.
const NAMED_PER_KIND: u64 = 12;

#[derive(Template)]
#[template(path = "home/index.html")]
struct HomePage {
    page: Page,
    instance_name: String,
    summary: Option<String>,
    groups: Vec<KindGroup>,
    places: Vec<Place>,
    organisation_count: u64,
}

async fn home(State(state): State<AppState>, page: Page) -> Result<Html<String>, AppError> {
    let conn = state.store.conn();
    let summary = instance::fact(conn, instance::SUMMARY_FACT).await?;
    let mut groups = Vec::new();
    // Counted together; only kinds that have any are listed.
    let counts = organisations::counts_by_kind(conn).await?;
    let organisation_count = counts.values().sum();
    for kind in OrganisationKind::ALL {
        let Some(&total) = counts.get(&kind) else {
            continue;
        };
        let named = organisations::first_of_kind(conn, kind, NAMED_PER_KIND).await?;
        groups.push(KindGroup {
            label: kind.label(),
            more: total.saturating_sub(named.len() as u64),
            organisations: named,
        });
    }
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
