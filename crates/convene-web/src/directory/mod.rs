//! Public "Find support" pages: search the directory by words, need, age,
//! cost and distance from a postcode, and read a service's page. No sign-in.

mod approvals;
mod ask;
mod imports;
pub mod manage;
mod report;
mod service_page;
mod view;

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use convene_domain::directory::editing::DELIVERY_MODES;
use convene_domain::directory::postcodes::Postcode;
use convene_domain::directory::schedules::london_time;
use convene_domain::directory::search::SearchQuery;
use convene_domain::directory::taxonomy;
use convene_store::directory::postcodes;
use convene_store::directory::services;

use self::view::ServiceSummary;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

const PER_PAGE: usize = 20;
pub const RADII: [u32; 5] = [1, 3, 5, 10, 25];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/find-support", get(find))
        .route("/find-support/services/{id}", get(service_page::show))
        .route("/find-support/services/{id}/report", post(report::submit))
        .route(
            "/find-support/services/{id}/ask",
            get(ask::form).post(ask::submit),
        )
        .route("/directory", get(manage::list))
        .route(
            "/directory/services/new",
            get(manage::new_form).post(manage::create),
        )
        .route(
            "/directory/services/{id}/edit",
            get(manage::edit_form).post(manage::update),
        )
        .route("/directory/services/{id}/history", get(approvals::history))
        .route("/directory/approvals", get(approvals::approvals))
        .route(
            "/directory/approvals/{id}/approve",
            post(approvals::approve),
        )
        .route("/directory/approvals/{id}/reject", post(approvals::reject))
        .route(
            "/directory/imports",
            get(imports::list).post(imports::start),
        )
        .route("/directory/imports/{id}", get(imports::show))
        .route("/directory/imports/{id}/progress", get(imports::progress))
        .route("/directory/imports/{id}/retry", post(imports::retry))
}

/// The search form as submitted. Needs may repeat, so the query is read as
/// pairs.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub q: String,
    pub needs: Vec<String>,
    pub age: String,
    pub free: bool,
    pub open_now: bool,
    pub delivery: String,
    pub language: String,
    pub postcode: String,
    pub radius: String,
    pub page: usize,
}

impl Form {
    fn from_query(raw: Option<&str>) -> Form {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
        let mut form = Form {
            page: 1,
            ..Default::default()
        };
        for (key, value) in pairs {
            let value: String = value.chars().take(200).collect();
            match key.as_str() {
                "q" => form.q = value,
                "need" => form.needs.push(value),
                "age" => form.age = value,
                "free" => form.free = value == "yes",
                "open" => form.open_now = value == "now",
                "delivery" => form.delivery = value,
                "language" => form.language = value,
                "postcode" => form.postcode = value,
                "radius" => form.radius = value,
                "page" => form.page = value.parse().unwrap_or(1).clamp(1, 10_000),
                _ => {}
            }
        }
        form
    }

    /// This search's query string, without the page (for page links).
    pub fn query_without_page(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![("q", &self.q)];
        for need in &self.needs {
            pairs.push(("need", need));
        }
        pairs.extend([
            ("age", self.age.as_str()),
            ("postcode", self.postcode.as_str()),
            ("radius", self.radius.as_str()),
            ("delivery", self.delivery.as_str()),
            ("language", self.language.as_str()),
        ]);
        if self.free {
            pairs.push(("free", "yes"));
        }
        if self.open_now {
            pairs.push(("open", "now"));
        }
        serde_urlencoded::to_string(
            pairs
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    }

    pub fn has_need(&self, code: &str) -> bool {
        self.needs.iter().any(|n| n == code)
    }
}

pub struct NeedOption {
    pub code: &'static str,
    pub name: &'static str,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "directory/find.html")]
struct FindPage {
    page: Page,
    form: Form,
    errors: FormErrors,
    needs: Vec<NeedOption>,
    results: Vec<ServiceSummary>,
    total: usize,
    page_number: usize,
    pages: usize,
    searched: bool,
    radii: [u32; 5],
    delivery_modes: [(&'static str, &'static str); 3],
}

async fn find(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let form = Form::from_query(raw.as_deref());
    let searched = raw.as_deref().is_some_and(|r| !r.is_empty());
    let mut errors = FormErrors::default();
    let mut query = SearchQuery {
        words: form.q.clone(),
        free_only: form.free,
        needs: form
            .needs
            .iter()
            .filter_map(|code| {
                taxonomy::NEEDS
                    .iter()
                    .find(|(c, ..)| c == code)
                    .map(|(c, ..)| taxonomy::need_id(c))
            })
            .collect(),
        ..Default::default()
    };
    if form.open_now {
        query.open_at = Some(london_time(state.clock.now()));
    }
    query.delivery = DELIVERY_MODES
        .iter()
        .find(|(code, _)| *code == form.delivery)
        .map(|(code, _)| (*code).to_string());
    query.language = Some(form.language.trim().to_string()).filter(|l| !l.is_empty());
    if !form.age.trim().is_empty() {
        match form.age.trim().parse::<u16>() {
            Ok(age) if age <= 130 => query.age = Some(age),
            _ => errors.add("age", "Enter an age in years, like 7"),
        }
    }
    if !form.postcode.trim().is_empty() {
        match Postcode::parse(&form.postcode) {
            Err(problem) => errors.add("postcode", problem.to_string()),
            Ok(code) => match postcodes::find(state.store.conn(), &code).await? {
                Some(place) => {
                    let here = (place.latitude, place.longitude);
                    query.near = Some(here);
                    // Services that name the areas they serve must cover it.
                    query.covering = Some(here);
                }
                None => errors.add(
                    "postcode",
                    format!(
                        "We do not know where {code} is. Check it, or search without a postcode"
                    ),
                ),
            },
        }
        let radius = form
            .radius
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|r| RADII.contains(r))
            .unwrap_or(5);
        query.radius_miles = Some(f64::from(radius));
    }
    let need_ids: Vec<_> = taxonomy::NEEDS
        .iter()
        .map(|(code, ..)| taxonomy::need_id(code))
        .collect();
    let (found, status) = if errors.is_empty() {
        let offset = (form.page - 1) * PER_PAGE;
        let mut found = state
            .directory
            .search(&query, offset, PER_PAGE, &need_ids)?;
        if found.hits.is_empty() && found.total > 0 {
            // Past the last page (an old link): show the last page.
            let last = (found.total.div_ceil(PER_PAGE) - 1) * PER_PAGE;
            found = state.directory.search(&query, last, PER_PAGE, &need_ids)?;
        }
        (found, StatusCode::OK)
    } else {
        let nothing = convene_search::Found {
            total: 0,
            hits: Vec::new(),
            need_counts: need_ids.iter().map(|id| (*id, 0)).collect(),
        };
        (nothing, StatusCode::UNPROCESSABLE_ENTITY)
    };
    // Counts show how many results each need would give with the other
    // filters as they are.
    let needs = taxonomy::NEEDS
        .iter()
        .zip(&found.need_counts)
        .map(|((code, name, _), (_, count))| NeedOption {
            code,
            name,
            count: *count,
        })
        .collect();
    let total = found.total;
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_number = form.page.min(pages);
    let shown = &found.hits;
    let ids: Vec<_> = shown.iter().map(|hit| hit.id).collect();
    let documents = services::documents(state.store.conn(), &ids).await?;
    let results: Vec<ServiceSummary> = shown
        .iter()
        .filter_map(|hit| {
            documents
                .get(&hit.id)
                .map(|doc| ServiceSummary::from_document(doc, hit.distance_miles))
        })
        .collect();
    let template = FindPage {
        page,
        form,
        errors,
        needs,
        results,
        total,
        page_number,
        pages,
        searched,
        radii: RADII,
        delivery_modes: DELIVERY_MODES,
    };
    Ok((status, Html(template.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_every_filter() {
        let form = Form::from_query(Some(
            "q=food&need=food&age=7&free=yes&open=now&postcode=BK1+1AA&radius=3&delivery=online&language=Polish&page=2",
        ));
        let query = form.query_without_page();
        for part in [
            "q=food",
            "need=food",
            "age=7",
            "free=yes",
            "open=now",
            "postcode=BK1+1AA",
            "radius=3",
            "delivery=online",
            "language=Polish",
        ] {
            assert!(query.contains(part), "{part} missing from {query}");
        }
        assert!(!query.contains("page="));
    }
}
