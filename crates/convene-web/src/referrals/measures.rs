//! Measures of referrals for the practitioner's organisations: what they
//! received (as a service) and what they made (as a referrer). Rates and
//! medians appear only from enough referrals (see the domain's
//! `SMALLEST_SHOWN`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use convene_domain::referrals::measures::{
    Attendance, Measures, ReminderEffect, SMALLEST_SHOWN, measure,
};
use convene_store::organisations;
use convene_store::referrals::measures::{Side, facts, reminder_effect};
use serde::Deserialize;

use super::Practitioner;
use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

pub struct Row {
    pub organisation: String,
    pub received: Measures,
    pub made: Measures,
    pub reminders: Vec<ReminderEffect>,
}

/// The periods reminders' effect can be measured over, in months.
const PERIODS: [(u32, &str); 4] = [
    (3, "The last 3 months"),
    (6, "The last 6 months"),
    (12, "The last 12 months"),
    (36, "The last 3 years"),
];

#[derive(Debug, Deserialize)]
pub struct Period {
    #[serde(default)]
    months: Option<String>,
}

#[derive(Template)]
#[template(path = "referrals/measures.html")]
struct MeasuresPage {
    page: Page,
    rows: Vec<Row>,
    smallest: usize,
    months: u32,
    periods: Vec<(u32, &'static str)>,
}

impl MeasuresPage {
    fn percent(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(
            || format!("not shown (fewer than {})", self.smallest),
            |r| format!("{:.0}%", r * 100.0),
        )
    }

    fn period_label(&self) -> String {
        PERIODS
            .iter()
            .find(|(m, _)| *m == self.months)
            .map_or("the chosen period", |(_, label)| label)
            .to_lowercase()
    }

    fn missed(&self, attendance: &Attendance) -> String {
        let rate = attendance.missed_rate().map_or_else(
            || format!("rate not shown (fewer than {})", self.smallest),
            |r| format!("{:.0}%", r * 100.0),
        );
        format!(
            "{} of {} missed: {rate}",
            attendance.missed, attendance.recorded
        )
    }

    fn days(&self, days: &Option<f64>) -> String {
        days.map_or_else(
            || format!("not shown (fewer than {})", self.smallest),
            |d| format!("{d:.1} days"),
        )
    }
}

/// How many measures pages are worked out at once. Each reads every
/// referral its organisations received and made, with their history and
/// appointments: at national scale hundreds of rows, from disk when they
/// are not in memory. When a morning's sign-ins all opened them in the
/// same minute, they held every pooled connection and every other page
/// waited (docs/benchmarks.md); now the rest queue for each other.
const MEASURED_AT_ONCE: usize = 2;

static MEASURING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MEASURED_AT_ONCE);

/// Runs `work` once a measuring permit is free; dropping the request
/// drops the work and its permit.
async fn measured<T>(work: impl std::future::Future<Output = T>) -> Result<T, AppError> {
    let _permit = MEASURING
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("measures: {e}")))?;
    Ok(work.await)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    who: Practitioner,
    Query(period): Query<Period>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    // An unknown period falls back to a year rather than failing.
    let months = period
        .months
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| PERIODS.iter().any(|(p, _)| p == m))
        .unwrap_or(12);
    let to = state.clock.now();
    let from = to
        .checked_sub_months(chrono::Months::new(months))
        .unwrap_or(to);
    let rows = measured(async {
        let mut names = organisations::names(conn, &who.organisations).await?;
        let mut rows = Vec::new();
        for organisation in &who.organisations {
            rows.push(Row {
                organisation: names.remove(organisation).unwrap_or_default(),
                received: measure(&facts(conn, Side::Received(*organisation)).await?),
                made: measure(&facts(conn, Side::Made(*organisation)).await?),
                reminders: reminder_effect(conn, *organisation, from, to).await?,
            });
        }
        Ok::<_, AppError>(rows)
    })
    .await??;
    Ok(Html(
        MeasuresPage {
            page,
            rows,
            smallest: SMALLEST_SHOWN,
            months,
            periods: PERIODS.to_vec(),
        }
        .render()?,
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_measures_are_worked_out_at_once_than_allowed() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let pages = (0..MEASURED_AT_ONCE * 4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(measured(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        });
        for page in pages.collect::<Vec<_>>() {
            page.await.unwrap().unwrap();
        }
        // Enough pages for every permit to be used, never more at once.
        assert_eq!(most.load(Ordering::SeqCst), MEASURED_AT_ONCE);
    }
}
