//! What the pages show of a service, read from its ORUK document.

use serde_json::Value;

fn text(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_string)
}

/// "For ages 5 to 11", "For everyone", ...
pub fn ages(doc: &Value) -> String {
    let min = doc.get("minimum_age").and_then(Value::as_u64);
    let max = doc.get("maximum_age").and_then(Value::as_u64);
    match (min, max) {
        (None, None) => "Everyone".to_string(),
        (Some(0), Some(max)) => format!("Up to {max} years"),
        (Some(min), None) => format!("{min} years and over"),
        (None, Some(max)) => format!("Up to {max} years"),
        (Some(min), Some(max)) if min == max => format!("{min} years"),
        (Some(min), Some(max)) => format!("{min} to {max} years"),
    }
}

/// "Free", or each cost option in words.
pub fn cost(doc: &Value) -> String {
    let options: Vec<String> = doc
        .get("cost_options")
        .and_then(Value::as_array)
        .map(|options| {
            options
                .iter()
                .filter_map(|o| {
                    let amount = o.get("amount").and_then(Value::as_f64)?;
                    if amount == 0.0 {
                        return None;
                    }
                    let mut words = format!("£{amount:.2}");
                    if let Some(what) = o.get("amount_description").and_then(Value::as_str) {
                        words.push_str(&format!(" {}", what.to_lowercase()));
                    }
                    if let Some(option) = o.get("option").and_then(Value::as_str) {
                        words.push_str(&format!(" ({option})"));
                    }
                    Some(words)
                })
                .collect()
        })
        .unwrap_or_default();
    if options.is_empty() {
        "Free".to_string()
    } else {
        options.join("; ")
    }
}

/// Each schedule's description, or its days and times.
pub fn times(doc: &Value) -> Vec<String> {
    doc.get("schedules")
        .and_then(Value::as_array)
        .map(|schedules| {
            schedules
                .iter()
                .filter_map(|s| {
                    text(s, "description").or_else(|| {
                        let opens = s.get("opens_at").and_then(Value::as_str)?;
                        let closes = s.get("closes_at").and_then(Value::as_str)?;
                        Some(format!(
                            "{} {}–{}",
                            s.get("byday").and_then(Value::as_str).unwrap_or(""),
                            opens.chars().take(5).collect::<String>(),
                            closes.chars().take(5).collect::<String>()
                        ))
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A place the service is delivered: its name, address and coordinates.
#[derive(Debug, Clone)]
pub struct PlaceView {
    pub name: String,
    pub address: String,
    pub map_link: Option<String>,
}

pub fn places(doc: &Value) -> Vec<PlaceView> {
    doc.get("service_at_locations")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter_map(|link| link.get("location"))
                .map(|location| {
                    let address = location
                        .get("addresses")
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                        .map(|a| {
                            ["address_1", "city", "postal_code"]
                                .iter()
                                .filter_map(|k| a.get(*k).and_then(Value::as_str))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default();
                    let lat = location.get("latitude").and_then(Value::as_f64);
                    let lon = location.get("longitude").and_then(Value::as_f64);
                    let map_link = match (lat, lon) {
                        (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                            Some(format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=17/{lat:.5}/{lon:.5}"))
                        }
                        _ => None,
                    };
                    PlaceView { name: text(location, "name").unwrap_or_default(), address, map_link }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One search result.
#[derive(Debug, Clone)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub description: String,
    pub ages: String,
    pub cost: String,
    pub times: Vec<String>,
    pub place: Option<PlaceView>,
    pub distance: Option<String>,
}

impl ServiceSummary {
    pub fn from_document(doc: &Value, distance_miles: Option<f64>) -> Self {
        let description = text(doc, "description").unwrap_or_default();
        let short: String = description.chars().take(220).collect();
        Self {
            id: text(doc, "id").unwrap_or_default(),
            name: text(doc, "name").unwrap_or_default(),
            organisation: doc
                .get("organization")
                .and_then(|o| text(o, "name"))
                .unwrap_or_default(),
            description: if short.len() < description.len() {
                format!("{}…", short.trim_end())
            } else {
                short
            },
            ages: ages(doc),
            cost: cost(doc),
            times: times(doc),
            place: places(doc).into_iter().next(),
            distance: distance_miles.map(|d| {
                if d < 0.1 {
                    "Less than 0.1 miles away".to_string()
                } else {
                    format!("{d:.1} miles away")
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ages_and_costs_read_plainly() {
        assert_eq!(ages(&json!({})), "Everyone");
        assert_eq!(
            ages(&json!({"minimum_age": 0, "maximum_age": 4})),
            "Up to 4 years"
        );
        assert_eq!(
            ages(&json!({"minimum_age": 5, "maximum_age": 11})),
            "5 to 11 years"
        );
        assert_eq!(ages(&json!({"minimum_age": 18})), "18 years and over");
        assert_eq!(cost(&json!({"cost_options": [{"amount": 0}]})), "Free");
        assert_eq!(
            cost(&json!({"cost_options": [{"amount": 3.5, "amount_description": "Per session"}]})),
            "£3.50 per session"
        );
    }
}
