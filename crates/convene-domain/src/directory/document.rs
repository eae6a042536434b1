//! One ORUK 3.0 service document (as served by `GET /services/{id}`):
//! checked, tidied (empty optional fields removed, as ORUK asks), and the
//! facts search needs drawn out of it. The whole document is kept, so that
//! what was imported is what is exported.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::postcodes::Postcode;

/// ORUK's service statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    Active,
    Inactive,
    Defunct,
    TemporarilyClosed,
}

impl ServiceStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Defunct => "defunct",
            Self::TemporarilyClosed => "temporarily closed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Active,
            Self::Inactive,
            Self::Defunct,
            Self::TemporarilyClosed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Why one record was refused: which record, which field, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub record: String,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service {}: {}: {}",
            self.record, self.field, self.reason
        )
    }
}

/// A place where the service is delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationEntry {
    /// The service-at-location link's id.
    pub id: Uuid,
    pub location_id: Uuid,
    pub name: Option<String>,
    pub postcode: Option<Postcode>,
    /// Only when both are within range: out-of-range coordinates are kept
    /// in the document but not used for distance.
    pub coordinates: Option<(f64, f64)>,
    /// The location object, as it appears in the document.
    pub location: Value,
}

/// A taxonomy term the service is tagged with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermEntry {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub taxonomy: Option<String>,
    pub taxonomy_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub term_uri: Option<String>,
}

/// A checked service and what search needs from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRecord {
    pub id: Uuid,
    pub name: String,
    pub status: ServiceStatus,
    pub description: Option<String>,
    pub organisation_id: Uuid,
    pub organisation_name: Option<String>,
    pub minimum_age: Option<u16>,
    pub maximum_age: Option<u16>,
    /// No cost option asks for money.
    pub is_free: bool,
    pub languages: Vec<String>,
    pub locations: Vec<LocationEntry>,
    pub terms: Vec<TermEntry>,
    pub last_modified: Option<DateTime<Utc>>,
    /// Notes on data kept but not used (e.g. impossible coordinates).
    pub warnings: Vec<String>,
    /// The tidied document.
    pub document: Value,
}

/// Checks one service document. Every problem names its field.
pub fn parse_service(value: &Value) -> Result<ServiceRecord, RecordError> {
    let document = tidy(value.clone()).unwrap_or(Value::Object(Map::new()));
    let Some(object) = document.as_object() else {
        return Err(error("?", "", "a service must be a JSON object"));
    };
    let record = object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let fail = |field: &str, reason: &str| error(&record, field, reason);

    let id = uuid_field(object, "id").map_err(|r| fail("id", &r))?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| fail("name", "every service needs a name"))?
        .to_string();
    if name.chars().count() > 500 {
        return Err(fail("name", "longer than 500 characters"));
    }
    let status_text = object
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("status", "missing"))?;
    let status = ServiceStatus::parse(status_text).ok_or_else(|| {
        fail(
            "status",
            "must be active, inactive, defunct or temporarily closed",
        )
    })?;
    let organisation = object.get("organization").and_then(Value::as_object);
    let organisation_id = match (organisation, object.get("organization_id")) {
        (Some(org), _) => uuid_field(org, "id").map_err(|r| fail("organization.id", &r))?,
        (None, Some(_)) => {
            uuid_field(object, "organization_id").map_err(|r| fail("organization_id", &r))?
        }
        (None, None) => {
            return Err(fail(
                "organization_id",
                "every service needs its organisation",
            ));
        }
    };
    if let (Some(_), Some(given)) = (
        organisation,
        object.get("organization_id").and_then(Value::as_str),
    ) && Uuid::parse_str(given).ok() != Some(organisation_id)
    {
        return Err(fail("organization_id", "does not match organization.id"));
    }
    let organisation_name = organisation
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);

    let age = |field: &str| -> Result<Option<u16>, RecordError> {
        match object.get(field) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|a| *a <= 130)
                .map(|a| Some(a as u16))
                .ok_or_else(|| fail(field, "must be a whole number of years from 0 to 130")),
        }
    };
    let (minimum_age, maximum_age) = (age("minimum_age")?, age("maximum_age")?);
    if let (Some(min), Some(max)) = (minimum_age, maximum_age)
        && min > max
    {
        return Err(fail("maximum_age", "is below minimum_age"));
    }

    let mut is_free = true;
    for (i, option) in array(object, "cost_options").iter().enumerate() {
        match option.get("amount") {
            None => {}
            Some(amount) => match amount.as_f64() {
                Some(a) if a >= 0.0 => is_free &= a == 0.0,
                _ => {
                    return Err(fail(
                        &format!("cost_options[{i}].amount"),
                        "must be a number, 0 or more",
                    ));
                }
            },
        }
    }

    let languages = array(object, "languages")
        .iter()
        .filter_map(|l| {
            l.get("name")
                .or_else(|| l.get("code"))
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .collect();

    let mut warnings = Vec::new();
    let mut locations = Vec::new();
    for (i, link) in array(object, "service_at_locations").iter().enumerate() {
        let field = format!("service_at_locations[{i}]");
        let link_object = link
            .as_object()
            .ok_or_else(|| fail(&field, "must be an object"))?;
        let link_id =
            uuid_field(link_object, "id").map_err(|r| fail(&format!("{field}.id"), &r))?;
        let location = link_object.get("location").cloned().unwrap_or(Value::Null);
        let location_object = location.as_object();
        let location_id = match location_object {
            Some(l) => {
                uuid_field(l, "id").map_err(|r| fail(&format!("{field}.location.id"), &r))?
            }
            None => uuid_field(link_object, "location_id")
                .map_err(|r| fail(&format!("{field}.location_id"), &r))?,
        };
        let coordinates = match location_object.map(|l| (l.get("latitude"), l.get("longitude"))) {
            Some((Some(lat), Some(lon))) => match (lat.as_f64(), lon.as_f64()) {
                (Some(lat), Some(lon))
                    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
                {
                    Some((lat, lon))
                }
                (Some(_), Some(_)) => {
                    warnings.push(format!(
                        "{field}.location: coordinates out of range; not used for distance"
                    ));
                    None
                }
                _ => {
                    return Err(fail(
                        &format!("{field}.location.latitude"),
                        "must be numbers",
                    ));
                }
            },
            _ => None,
        };
        let postcode = location_object
            .and_then(|l| l.get("addresses"))
            .and_then(Value::as_array)
            .and_then(|addresses| {
                addresses
                    .iter()
                    .find_map(|a| a.get("postal_code").and_then(Value::as_str))
            })
            .and_then(|text| match Postcode::parse(text) {
                Ok(p) => Some(p),
                Err(_) => {
                    warnings.push(format!(
                        "{field}.location: postcode {text:?} not recognised"
                    ));
                    None
                }
            });
        locations.push(LocationEntry {
            id: link_id,
            location_id,
            name: location_object
                .and_then(|l| l.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string),
            postcode,
            coordinates,
            location,
        });
    }

    let mut terms: Vec<TermEntry> = Vec::new();
    for (i, attribute) in array(object, "attributes").iter().enumerate() {
        let Some(term) = attribute.get("taxonomy_term").and_then(Value::as_object) else {
            continue;
        };
        let field = format!("attributes[{i}].taxonomy_term");
        let id = uuid_field(term, "id").map_err(|r| fail(&format!("{field}.id"), &r))?;
        let text = |key: &str| term.get(key).and_then(Value::as_str).map(str::to_string);
        if !terms.iter().any(|t| t.id == id) {
            terms.push(TermEntry {
                id,
                name: text("name").ok_or_else(|| fail(&format!("{field}.name"), "missing"))?,
                description: text("description").unwrap_or_default(),
                taxonomy: text("taxonomy"),
                taxonomy_id: text("taxonomy_id").and_then(|t| Uuid::parse_str(&t).ok()),
                parent_id: text("parent_id").and_then(|t| Uuid::parse_str(&t).ok()),
                term_uri: text("term_uri"),
            });
        }
    }

    let last_modified = match object.get("last_modified").and_then(Value::as_str) {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    fail(
                        "last_modified",
                        "must be a date and time like 2026-11-23T09:00:00Z",
                    )
                })?
                .with_timezone(&Utc),
        ),
    };

    Ok(ServiceRecord {
        id,
        name,
        status,
        description: object
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        organisation_id,
        organisation_name,
        minimum_age,
        maximum_age,
        is_free,
        languages,
        locations,
        terms,
        last_modified,
        warnings,
        document,
    })
}

fn error(record: &str, field: &str, reason: &str) -> RecordError {
    RecordError {
        record: record.to_string(),
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

fn uuid_field(object: &Map<String, Value>, key: &str) -> Result<Uuid, String> {
    let text = object.get(key).and_then(Value::as_str).ok_or("missing")?;
    Uuid::parse_str(text).map_err(|_| format!("{text:?} is not a UUID"))
}

fn array<'a>(object: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    object
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Removes what ORUK says to omit: nulls, empty strings, empty arrays and
/// empty objects, at every depth. `None` when nothing is left.
pub fn tidy(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::Array(items) => {
            let kept: Vec<Value> = items.into_iter().filter_map(tidy).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| tidy(v).map(|v| (k, v)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "id": "9b1f8f4e-4c3a-4d7e-9a3e-1f2e3d4c5b6a",
            "name": "Stay and play",
            "status": "active",
            "organization": { "id": "0d7c7f6a-1111-4222-8333-444455556666", "name": "Eastfield Hub", "description": "Hub" },
            "minimum_age": 0,
            "maximum_age": 4,
            "cost_options": [{ "id": "1d7c7f6a-1111-4222-8333-444455556666", "amount": 0 }],
            "description": "",
            "url": null
        })
    }

    #[test]
    fn a_minimal_service_is_checked_and_tidied() {
        let record = parse_service(&minimal()).unwrap();
        assert_eq!(record.name, "Stay and play");
        assert!(record.is_free);
        assert_eq!((record.minimum_age, record.maximum_age), (Some(0), Some(4)));
        assert!(
            record.document.get("description").is_none(),
            "empty strings are omitted"
        );
        assert!(record.document.get("url").is_none(), "nulls are omitted");
    }

    #[test]
    fn each_problem_names_its_field() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("id", json!("not-a-uuid"), "id"),
            ("name", json!("  "), "name"),
            ("status", json!("open"), "status"),
            ("minimum_age", json!(-1), "minimum_age"),
            ("maximum_age", json!(200), "maximum_age"),
            ("last_modified", json!("yesterday"), "last_modified"),
        ];
        for (key, bad, field) in cases {
            let mut doc = minimal();
            doc[key] = bad;
            let error = parse_service(&doc).unwrap_err();
            assert_eq!(error.field, field, "{error}");
        }
        let mut doc = minimal();
        doc["minimum_age"] = json!(10);
        doc["maximum_age"] = json!(5);
        assert_eq!(parse_service(&doc).unwrap_err().field, "maximum_age");
        let mut doc = minimal();
        doc.as_object_mut().unwrap().remove("organization");
        assert_eq!(parse_service(&doc).unwrap_err().field, "organization_id");
        assert!(parse_service(&json!([1, 2])).is_err());
    }

    #[test]
    fn the_oruk_full_example_parses_with_a_warning_for_its_coordinates() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/oruk/examples/service_full.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("the ORUK examples must be at ../shared/oruk (see the README)");
        };
        let record = parse_service(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(record.name, "Community Counselling");
        assert_eq!(record.locations.len(), 1);
        assert_eq!(record.locations[0].coordinates, None);
        assert!(!record.warnings.is_empty());
        assert!(!record.is_free);
        assert_eq!(record.terms.len(), 1);
    }
}
