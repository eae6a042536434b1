//! Editing a service in Convene: a plain form turned into an ORUK document
//! (keeping everything the form does not touch), and what changed between
//! two versions.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::changes::keep_ids;
use super::document::tidy;
use super::postcodes::Postcode;
use super::schedules::parse_day;
use super::taxonomy;
use crate::ids::stable_id;
use crate::text::{self, ValidationErrors};

/// Listings unreviewed this long are flagged to their owners.
pub const REVIEW_AFTER_DAYS: i64 = 365;

/// How a service is delivered (Convene's own field; ORUK has none).
pub const DELIVERY_MODES: [(&str, &str); 3] = [
    ("in_person", "In person"),
    ("online", "Online"),
    ("phone", "By phone"),
];

/// Who can make a referral (Convene's own field).
pub const REFERRERS: [(&str, &str); 3] = [
    ("self", "Families can contact the service themselves"),
    ("professional", "A professional must refer"),
    ("both", "Either"),
];

/// The edit form, as submitted. Repeated fields (needs, days, delivery)
/// are collected by the web layer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub name: String,
    pub description: String,
    pub status: String,
    pub minimum_age: String,
    pub maximum_age: String,
    /// Pounds per session; blank or 0 for free.
    pub cost: String,
    pub needs: Vec<String>,
    pub days: Vec<String>,
    pub opens_at: String,
    pub closes_at: String,
    pub place_name: String,
    pub address: String,
    pub postcode: String,
    pub email: String,
    pub phone: String,
    pub url: String,
    pub delivery: Vec<String>,
    pub who_can_refer: String,
}

/// Convene's own facts about a service, kept beside its ORUK document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFields {
    pub delivery_modes: Vec<String>,
    pub who_can_refer: String,
}

impl ServiceForm {
    /// The form filled from a stored document (for editing).
    pub fn from_document(doc: &Value, local: &LocalFields) -> ServiceForm {
        let text = |key: &str| {
            doc.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let number = |key: &str| {
            doc.get(key)
                .and_then(Value::as_u64)
                .map(|n| n.to_string())
                .unwrap_or_default()
        };
        let schedule = doc.get("schedules").and_then(|s| s.get(0));
        let location = doc
            .get("service_at_locations")
            .and_then(|s| s.get(0))
            .and_then(|s| s.get("location"));
        let address = location
            .and_then(|l| l.get("addresses"))
            .and_then(|a| a.get(0));
        let cost = doc
            .get("cost_options")
            .and_then(Value::as_array)
            .and_then(|o| {
                o.iter()
                    .find_map(|c| c.get("amount").and_then(Value::as_f64))
            })
            .filter(|a| *a > 0.0)
            .map(|a| format!("{a:.2}"))
            .unwrap_or_default();
        ServiceForm {
            name: text("name"),
            description: text("description"),
            status: text("status"),
            minimum_age: number("minimum_age"),
            maximum_age: number("maximum_age"),
            cost,
            needs: taxonomy::NEEDS
                .iter()
                .filter(|(code, ..)| {
                    doc.get("attributes")
                        .and_then(Value::as_array)
                        .is_some_and(|a| {
                            a.iter().any(|x| {
                                x.get("taxonomy_term")
                                    .and_then(|t| t.get("id"))
                                    .and_then(Value::as_str)
                                    == Some(taxonomy::need_id(code).to_string().as_str())
                            })
                        })
                })
                .map(|(code, ..)| (*code).to_string())
                .collect(),
            days: schedule
                .and_then(|s| s.get("byday"))
                .and_then(Value::as_str)
                .map(|d| d.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            opens_at: schedule
                .and_then(|s| s.get("opens_at"))
                .and_then(Value::as_str)
                .map(|t| t.chars().take(5).collect::<String>())
                .unwrap_or_default(),
            closes_at: schedule
                .and_then(|s| s.get("closes_at"))
                .and_then(Value::as_str)
                .map(|t| t.chars().take(5).collect::<String>())
                .unwrap_or_default(),
            place_name: location
                .and_then(|l| l.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            address: address
                .and_then(|a| a.get("address_1"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            postcode: address
                .and_then(|a| a.get("postal_code"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            email: text("email"),
            phone: doc
                .get("contacts")
                .and_then(|c| c.get(0))
                .and_then(|c| c.get("phones"))
                .and_then(|p| p.get(0))
                .and_then(|p| p.get("number"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            url: text("url"),
            delivery: local.delivery_modes.clone(),
            who_can_refer: local.who_can_refer.clone(),
        }
    }

    /// Checks the form and builds the new document from `existing` (or a
    /// new one), with `coordinates` of the postcode when known.
    pub fn apply(
        &self,
        service_id: Uuid,
        organisation: (Uuid, &str),
        existing: Option<&Value>,
        coordinates: Option<(f64, f64)>,
        modified: &str,
    ) -> Result<(Value, LocalFields), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = text::required(&mut errors, "name", "the service's name", &self.name, 200);
        let description = text::required(
            &mut errors,
            "description",
            "what the service offers",
            &self.description,
            3000,
        );
        let status = if self.status.is_empty() {
            "active".to_string()
        } else {
            self.status.clone()
        };
        if !["active", "inactive", "defunct", "temporarily closed"].contains(&status.as_str()) {
            errors.add("status", "Select whether the service is running");
        }
        let age =
            |errors: &mut ValidationErrors, field: &'static str, value: &str| -> Option<u64> {
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                match value.parse::<u64>() {
                    Ok(n) if n <= 130 => Some(n),
                    _ => {
                        errors.add(field, "Enter an age in whole years, like 5");
                        None
                    }
                }
            };
        let minimum_age = age(&mut errors, "minimum_age", &self.minimum_age);
        let maximum_age = age(&mut errors, "maximum_age", &self.maximum_age);
        if let (Some(min), Some(max)) = (minimum_age, maximum_age)
            && min > max
        {
            errors.add(
                "maximum_age",
                "The oldest age must be the same as or more than the youngest",
            );
        }
        let cost = match self.cost.trim().trim_start_matches('£') {
            "" => 0.0,
            text => match text.parse::<f64>() {
                Ok(c) if (0.0..10_000.0).contains(&c) => (c * 100.0).round() / 100.0,
                _ => {
                    errors.add(
                        "cost",
                        "Enter the cost in pounds, like 3.50, or leave it blank if it is free",
                    );
                    0.0
                }
            },
        };
        let needs: Vec<&(&str, &str, &str)> = taxonomy::NEEDS
            .iter()
            .filter(|(code, ..)| self.needs.iter().any(|n| n == code))
            .collect();
        if needs.is_empty() {
            errors.add("needs", "Select at least one type of help");
        }
        let days: Vec<String> = self
            .days
            .iter()
            .filter_map(|d| parse_day(d))
            .map(|d| d.to_string()[..2].to_uppercase())
            .collect();
        let time =
            |errors: &mut ValidationErrors, field: &'static str, value: &str| -> Option<String> {
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                match chrono::NaiveTime::parse_from_str(value, "%H:%M") {
                    Ok(t) => Some(t.format("%H:%M:%S").to_string()),
                    Err(_) => {
                        errors.add(field, "Enter a time like 09:30");
                        None
                    }
                }
            };
        let opens = time(&mut errors, "opens_at", &self.opens_at);
        let closes = time(&mut errors, "closes_at", &self.closes_at);
        if !days.is_empty()
            && (opens.is_none() || closes.is_none())
            && errors
                .0
                .iter()
                .all(|e| e.field != "opens_at" && e.field != "closes_at")
        {
            errors.add(
                "opens_at",
                "Enter the opening and closing times for the days you selected",
            );
        }
        let place_name = text::optional(
            &mut errors,
            "place_name",
            "the place's name",
            Some(&self.place_name),
            200,
        );
        let address = text::optional(
            &mut errors,
            "address",
            "the address",
            Some(&self.address),
            300,
        );
        let postcode = match self.postcode.trim() {
            "" => None,
            text => match Postcode::parse(text) {
                Ok(p) => Some(p),
                Err(problem) => {
                    errors.add("postcode", problem.to_string());
                    None
                }
            },
        };
        let email = text::optional(
            &mut errors,
            "email",
            "the email address",
            Some(&self.email),
            254,
        );
        if let Some(e) = &email
            && !crate::identity::accounts::looks_like_email(e)
        {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.org",
            );
        }
        let phone = text::optional(
            &mut errors,
            "phone",
            "the phone number",
            Some(&self.phone),
            30,
        );
        let url = text::optional(&mut errors, "url", "the website", Some(&self.url), 500);
        if let Some(u) = &url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            errors.add("url", "Enter a website address starting with https://");
        }
        let delivery: Vec<String> = DELIVERY_MODES
            .iter()
            .filter(|(code, _)| self.delivery.iter().any(|d| d == code))
            .map(|(code, _)| (*code).to_string())
            .collect();
        if delivery.is_empty() {
            errors.add("delivery", "Select how the service is delivered");
        }
        let who_can_refer = if REFERRERS
            .iter()
            .any(|(code, _)| *code == self.who_can_refer)
        {
            self.who_can_refer.clone()
        } else {
            errors.add("who_can_refer", "Select who can refer to the service");
            String::new()
        };
        if !errors.is_empty() {
            return Err(errors);
        }

        // Start from what is stored, so fields the form does not show
        // (imported contacts, funding, accessibility...) are kept.
        let mut doc: Map<String, Value> = existing
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let (organisation_id, organisation_name) = organisation;
        doc.insert("id".into(), json!(service_id));
        doc.insert("organization_id".into(), json!(organisation_id));
        doc.entry("organization").or_insert_with(|| json!({ "id": organisation_id, "name": organisation_name, "description": organisation_name }));
        doc.insert("name".into(), json!(name));
        doc.insert("description".into(), json!(description));
        doc.insert("status".into(), json!(status));
        doc.insert("minimum_age".into(), json!(minimum_age));
        doc.insert("maximum_age".into(), json!(maximum_age));
        doc.insert("email".into(), json!(email));
        doc.insert("url".into(), json!(url));
        doc.insert("last_modified".into(), json!(modified));
        doc.insert(
            "cost_options".into(),
            json!([{ "id": stable_id("cost_option", &service_id.to_string()), "amount": cost, "currency": "GBP", "amount_description": if cost == 0.0 { "Free" } else { "Per session" } }]),
        );
        doc.insert(
            "attributes".into(),
            Value::Array(
                needs
                    .iter()
                    .map(|(code, name, description)| {
                        json!({
                            "id": stable_id("attribute", &format!("{service_id}:{code}")),
                            "link_type": "need",
                            "taxonomy_term": { "id": taxonomy::need_id(code), "name": name, "description": description, "taxonomy": taxonomy::TAXONOMY_NAME, "taxonomy_id": taxonomy::taxonomy_id() },
                        })
                    })
                    .collect(),
            ),
        );
        doc.insert(
            "schedules".into(),
            match (days.is_empty(), opens, closes) {
                (false, Some(opens), Some(closes)) => json!([{ "id": stable_id("schedule", &service_id.to_string()), "freq": "WEEKLY", "byday": days.join(","), "opens_at": opens, "closes_at": closes }]),
                _ => Value::Null,
            },
        );
        doc.insert(
            "contacts".into(),
            match &phone {
                Some(number) => json!([{ "id": stable_id("contact", &service_id.to_string()), "name": name, "phones": [{ "id": stable_id("phone", &service_id.to_string()), "number": number }] }]),
                None => Value::Null,
            },
        );
        doc.insert(
            "service_at_locations".into(),
            if place_name.is_some() || address.is_some() || postcode.is_some() {
                let location_id = stable_id("location", &format!("{service_id}:place"));
                json!([{
                    "id": stable_id("service_at_location", &service_id.to_string()),
                    "location": {
                        "id": location_id,
                        "location_type": "physical",
                        "name": place_name,
                        "latitude": coordinates.map(|c| c.0),
                        "longitude": coordinates.map(|c| c.1),
                        "addresses": [{
                            "id": stable_id("address", &format!("{service_id}:place")),
                            "address_1": address.clone().unwrap_or_default(),
                            "city": "",
                            "state_province": "England",
                            "postal_code": postcode.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
                            "country": "GB",
                            "address_type": "physical",
                        }],
                    },
                }])
            } else {
                Value::Null
            },
        );
        // The form edits the first schedule, place, contact and cost; any
        // others (from an import) are kept, and so are the ids of the ones
        // edited and the terms of other taxonomies.
        if let Some(old) = existing.and_then(Value::as_object) {
            for key in [
                "schedules",
                "service_at_locations",
                "contacts",
                "cost_options",
            ] {
                let before = old
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut after: Vec<Value> = doc
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if let (Some(first), Some(old_first)) = (after.first_mut(), before.first()) {
                    keep_ids(first, old_first);
                }
                after.extend(before.into_iter().skip(1));
                doc.insert(key.into(), Value::Array(after));
            }
            let ours: Vec<String> = taxonomy::NEEDS
                .iter()
                .map(|(code, ..)| taxonomy::need_id(code).to_string())
                .collect();
            let others: Vec<Value> = old
                .get("attributes")
                .and_then(Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter(|a| {
                            a.get("taxonomy_term")
                                .and_then(|t| t.get("id"))
                                .and_then(Value::as_str)
                                .is_none_or(|id| !ours.iter().any(|o| o == id))
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Array(attributes)) = doc.get_mut("attributes") {
                attributes.extend(others);
            }
        }
        let doc = tidy(Value::Object(doc)).unwrap_or(Value::Null);
        Ok((
            doc,
            LocalFields {
                delivery_modes: delivery,
                who_can_refer,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::parse_service;

    fn form() -> ServiceForm {
        ServiceForm {
            name: "Stay and play".into(),
            description: "Play for under-fives".into(),
            minimum_age: "0".into(),
            maximum_age: "4".into(),
            needs: vec!["early-years".into()],
            days: vec!["MO".into(), "WE".into()],
            opens_at: "09:30".into(),
            closes_at: "11:30".into(),
            place_name: "Eastfield Hub".into(),
            address: "Eastfield Road".into(),
            postcode: "bk3 2ea".into(),
            delivery: vec!["in_person".into()],
            who_can_refer: "self".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_form_becomes_a_valid_oruk_service() {
        let id = Uuid::from_u128(1);
        let (doc, local) = form()
            .apply(
                id,
                (Uuid::from_u128(2), "Hub"),
                None,
                Some((53.1, -1.8)),
                "2026-11-23T09:00:00Z",
            )
            .unwrap();
        let record = parse_service(&doc).unwrap();
        assert_eq!(record.name, "Stay and play");
        assert!(record.is_free);
        assert_eq!(
            record.locations[0].postcode.as_ref().unwrap().as_str(),
            "BK3 2EA"
        );
        assert_eq!(record.terms.len(), 1);
        assert_eq!(local.delivery_modes, ["in_person"]);
        // Editing again starts from the form filled from the document.
        let again = ServiceForm::from_document(&doc, &local);
        assert_eq!(again.needs, ["early-years"]);
        assert_eq!(again.days, ["MO", "WE"]);
        assert_eq!(again.opens_at, "09:30");
    }

    #[test]
    fn every_problem_is_named_and_imported_fields_are_kept() {
        let bad = ServiceForm {
            name: "".into(),
            minimum_age: "9".into(),
            maximum_age: "3".into(),
            cost: "lots".into(),
            postcode: "nope".into(),
            ..Default::default()
        };
        let errors = bad
            .apply(Uuid::nil(), (Uuid::nil(), "x"), None, None, "t")
            .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field).collect();
        for field in [
            "name",
            "description",
            "maximum_age",
            "cost",
            "needs",
            "postcode",
            "delivery",
            "who_can_refer",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        let existing = json!({
            "id": Uuid::nil(),
            "funding": [{"id": Uuid::nil(), "source": "Lottery"}],
            "schedules": [{"id": "s1"}, {"id": "s2", "freq": "MONTHLY"}],
            "service_at_locations": [{"id": "l1", "location": {"id": "loc1"}}, {"id": "l2", "location": {"id": "loc2"}}],
            "attributes": [{"id": "a1", "taxonomy_term": {"id": "00000000-0000-4000-8000-0000000000aa", "name": "Other taxonomy"}}]
        });
        let (doc, _) = form()
            .apply(Uuid::nil(), (Uuid::nil(), "x"), Some(&existing), None, "t")
            .unwrap();
        assert_eq!(doc["funding"][0]["source"], "Lottery");
        assert_eq!(
            doc["schedules"].as_array().unwrap().len(),
            2,
            "the second schedule is kept"
        );
        assert_eq!(
            doc["schedules"][0]["id"], "s1",
            "the edited one keeps its id"
        );
        assert_eq!(doc["service_at_locations"][0]["location"]["id"], "loc1");
        assert_eq!(doc["service_at_locations"][1]["id"], "l2");
        assert!(
            doc["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["id"] == "a1"),
            "other taxonomies' terms are kept"
        );
        let changed = super::super::changes::changed_fields(Some(&existing), &doc);
        assert!(changed.contains(&"name".to_string()));
        assert!(!changed.contains(&"funding".to_string()));
    }
}
