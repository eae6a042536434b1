//! Measures of referrals for the practitioner's organisations: what they
//! received (as a service) and what they made (as a referrer). Rates and
//! medians appear only from enough referrals (see the domain's
//! `SMALLEST_SHOWN`).

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use convene_domain::referrals::measures::{Measures, SMALLEST_SHOWN, measure};
use convene_store::organisations;
use convene_store::referrals::measures::{Side, facts};

use super::Practitioner;
use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

pub struct Row {
    pub organisation: String,
    pub received: Measures,
    pub made: Measures,
}

#[derive(Template)]
#[template(path = "referrals/measures.html")]
struct MeasuresPage {
    page: Page,
    rows: Vec<Row>,
    smallest: usize,
}

impl MeasuresPage {
    fn percent(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(
            || format!("not shown (fewer than {})", self.smallest),
            |r| format!("{:.0}%", r * 100.0),
        )
    }

    fn days(&self, days: &Option<f64>) -> String {
        days.map_or_else(
            || format!("not shown (fewer than {})", self.smallest),
            |d| format!("{d:.1} days"),
        )
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    who: Practitioner,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let mut rows = Vec::new();
    for organisation in &who.organisations {
        rows.push(Row {
            organisation: organisations::get(conn, *organisation)
                .await?
                .map(|o| o.details.name)
                .unwrap_or_default(),
            received: measure(&facts(conn, Side::Received(*organisation)).await?),
            made: measure(&facts(conn, Side::Made(*organisation)).await?),
        });
    }
    Ok(Html(
        MeasuresPage {
            page,
            rows,
            smallest: SMALLEST_SHOWN,
        }
        .render()?,
    )
    .into_response())
}
