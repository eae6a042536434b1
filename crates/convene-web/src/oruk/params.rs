//! Query parameters of the ORUK endpoints. Everything arrives as text and is
//! checked here, so a bad value is a clear 400 naming the parameter.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use convene_domain::directory::postcodes::Postcode;
use convene_domain::directory::schedules::parse_day;
use convene_domain::directory::search::SearchQuery;
use convene_store::directory::postcodes;
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

    /// How to answer: the store's filter (only active services, and every
    /// parameter given, AND), plus the parts only search can judge (times,
    /// distance), when any are asked for.
    pub async fn plan(&self, state: &AppState) -> Result<Plan, AppError> {
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
        let mut filter = ServiceFilter {
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
        };
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let day = match given(&self.day) {
            None => None,
            Some(text) => {
                Some(parse_day(&text).ok_or_else(|| bad("day", "a day like MO or Monday"))?)
            }
        };
        let clock_time =
            |value: Option<String>, name: &str| -> Result<Option<NaiveTime>, AppError> {
                match value {
                    None => Ok(None),
                    Some(text) => NaiveTime::parse_from_str(&text, "%H:%M:%S")
                        .or_else(|_| NaiveTime::parse_from_str(&text, "%H:%M"))
                        .map(Some)
                        .map_err(|_| bad(name, "a time like 09:30")),
                }
            };
        let starts_from = clock_time(given(&self.start_time), "start_time")?;
        let ends_by = clock_time(given(&self.end_time), "end_time")?;
        let radius_miles = match given(&self.proximity) {
            None => None,
            Some(text) => Some(
                text.parse::<f64>()
                    .ok()
                    .filter(|m| m.is_finite() && *m > 0.0)
                    .map(|metres| metres / 1609.344)
                    .ok_or_else(|| bad("proximity", "a distance in metres, more than 0"))?,
            ),
        };
        let near = match given(&self.postcode) {
            None if radius_miles.is_some() => return Err(bad("postcode", "given with proximity")),
            None => None,
            Some(text) => {
                let code = Postcode::parse(&text)
                    .map_err(|_| bad("postcode", "a UK postcode like BK3 2EA"))?;
                let place = postcodes::find(state.store.conn(), &code)
                    .await?
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "postcode {code} is not one this directory knows"
                        ))
                    })?;
                Some((place.latitude, place.longitude))
            }
        };
        // Words, times and places are answered by the search index, with
        // every other filter applied there too; a plain listing is paged
        // from the database.
        let indexed = filter.text.is_some()
            || day.is_some()
            || starts_from.is_some()
            || ends_by.is_some()
            || near.is_some();
        let memory = indexed.then(|| SearchQuery {
            words: filter.text.take().unwrap_or_default(),
            organisation_id: filter.organisation_id,
            term_id: filter.taxonomy_term_id,
            taxonomy_id: filter.taxonomy_id,
            modified_after: filter.modified_after,
            ages_from: filter.minimum_age,
            ages_to: filter.maximum_age,
            near,
            radius_miles,
            // ORUK: a postcode keeps the services whose areas hold it.
            covering: near,
            day,
            starts_from,
            ends_by,
            ..Default::default()
        });
        Ok(Plan { filter, memory })
    }
}

/// How to answer a `/services` request.
#[derive(Debug)]
pub struct Plan {
    pub filter: ServiceFilter,
    pub memory: Option<SearchQuery>,
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
