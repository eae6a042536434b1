//! Query parameters of the ORUK endpoints. Everything arrives as text and is
//! checked here, so a bad value is a clear 400 naming the parameter.

use chrono::{DateTime, NaiveDate, Utc};
use convene_store::directory::services::ServiceFilter;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    page: Option<String>,
    per_page: Option<String>,
}

fn bad(parameter: &str, expected: &str) -> AppError {
    AppError::BadRequest(format!("{parameter} must be {expected}"))
}

fn number(
    text: Option<&str>,
    parameter: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .map(Some)
            .ok_or_else(|| {
                bad(
                    parameter,
                    &format!("a whole number from {} to {}", range.start(), range.end()),
                )
            }),
    }
}

impl ListParams {
    /// (page number from 1, items per page).
    pub fn page(&self) -> Result<(u64, u64), AppError> {
        let page = number(self.page.as_deref(), "page", 1..=1_000_000)?.unwrap_or(1);
        let per_page = number(self.per_page.as_deref(), "per_page", 1..=MAX_PER_PAGE)?
            .unwrap_or(DEFAULT_PER_PAGE);
        Ok((page, per_page))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ServiceParams {
    #[serde(flatten)]
    pub list: ListParams,
    search: Option<String>,
    taxonomy_id: Option<String>,
    taxonomy_term_id: Option<String>,
    organization_id: Option<String>,
    modified_after: Option<String>,
    minimal: Option<String>,
    full: Option<String>,
    minimum_age: Option<String>,
    maximum_age: Option<String>,
    day: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    postcode: Option<String>,
    proximity: Option<String>,
    format: Option<String>,
}

fn flag(text: Option<&str>, parameter: &str) -> Result<Option<bool>, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(bad(parameter, "true or false")),
    }
}

fn id(text: Option<&str>, parameter: &str) -> Result<Option<Uuid>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Uuid::parse_str(t)
            .map(Some)
            .map_err(|_| bad(parameter, "a UUID")),
    }
}

impl ServiceParams {
    pub fn minimal(&self) -> Result<bool, AppError> {
        Ok(flag(self.minimal.as_deref(), "minimal")?.unwrap_or(false))
    }

    pub fn full(&self) -> Result<bool, AppError> {
        Ok(flag(self.full.as_deref(), "full")?.unwrap_or(false))
    }

    pub fn is_ndjson(&self) -> Result<bool, AppError> {
        match self.format.as_deref().map(str::trim) {
            None | Some("") | Some("json") => Ok(false),
            Some("ndjson") => Ok(true),
            Some(_) => Err(bad("format", "json or ndjson")),
        }
    }

    /// The store's filter: only active services, and every parameter given
    /// (AND semantics).
    pub async fn filter(&self, _state: &AppState) -> Result<ServiceFilter, AppError> {
        for (name, value) in [
            ("day", &self.day),
            ("start_time", &self.start_time),
            ("end_time", &self.end_time),
            ("postcode", &self.postcode),
            ("proximity", &self.proximity),
        ] {
            if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
                return Err(AppError::BadRequest(format!(
                    "{name} is not supported by this directory yet; the other filters are"
                )));
            }
        }
        let minimum_age =
            number(self.minimum_age.as_deref(), "minimum_age", 0..=130)?.map(|a| a as u16);
        let maximum_age =
            number(self.maximum_age.as_deref(), "maximum_age", 0..=130)?.map(|a| a as u16);
        if let (Some(min), Some(max)) = (minimum_age, maximum_age)
            && min > max
        {
            return Err(bad("maximum_age", "at least minimum_age"));
        }
        let modified_after = match self
            .modified_after
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => None,
            Some(text) => Some(parse_time(text).ok_or_else(|| {
                bad(
                    "modified_after",
                    "a date like 2026-11-01 or a time like 2026-11-01T09:00:00Z",
                )
            })?),
        };
        Ok(ServiceFilter {
            active_only: true,
            organisation_id: id(self.organization_id.as_deref(), "organization_id")?,
            taxonomy_term_id: id(self.taxonomy_term_id.as_deref(), "taxonomy_term_id")?,
            taxonomy_id: id(self.taxonomy_id.as_deref(), "taxonomy_id")?,
            modified_after,
            minimum_age,
            maximum_age,
            text: self
                .search
                .clone()
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.chars().take(200).collect()),
        })
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}
