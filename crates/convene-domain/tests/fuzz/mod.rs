//! What the fuzzing tests share: text and JSON that tend to break
//! parsers, a valid ORUK service and ways to mangle it, and a check that
//! form errors name the form's own fields.

#![allow(dead_code, unused_imports)]

pub use std::collections::BTreeMap;

pub use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
pub use convene_domain::directory::editing::ServiceForm;
pub use convene_domain::directory::feed::{FeedError, service_documents};
pub use convene_domain::directory::parse_service;
pub use convene_domain::directory::postcodes::Postcode;
pub use convene_domain::directory::schedules::{
    WeeklyOpening, is_open_at, london_time, openings, parse_day,
};
pub use convene_domain::directory::tabular::{TabularError, read_tables, write_tables};
pub use convene_domain::identity::accounts::InvitationInput;
pub use convene_domain::identity::passwords::check_new_password;
pub use convene_domain::identity::roles::Role;
pub use convene_domain::messaging::contact::{asks_to_stop, normalise_phone};
pub use convene_domain::messaging::reminders::parse_days;
pub use convene_domain::messaging::templates::{
    MessageKind, Template, check, render, sms_fragments,
};
pub use convene_domain::organisations::OrganisationInput;
pub use convene_domain::people::sharing::{ShareForm, check_share};
pub use convene_domain::people::{PersonForm, check_person};
pub use convene_domain::places::PlaceInput;
pub use convene_domain::text::ValidationErrors;
pub use proptest::prelude::*;
pub use proptest::test_runner::TestCaseError;
pub use serde_json::{Value, json};
pub use uuid::Uuid;

// ---------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------

/// Text that tends to break parsers: empty, whitespace, control and
/// combining characters, right-to-left and astral characters, quotes and
/// CSV/JSON/template punctuation, and long runs.
pub fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" \t\r\n ".to_string()),
        Just("\u{feff}\u{200b}\u{202e}".to_string()),
        Just("💩👨‍👩‍👧‍👦 e\u{301}".to_string()),
        Just("\",\"\n\"\"".to_string()),
        Just("{{ x }}{% for %}".to_string()),
        Just("x".repeat(10_000)),
        Just("é".repeat(3_000)),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("18446744073709551616".to_string()),
        Just("null".to_string()),
        any::<String>(),
        "\\PC{0,40}",
        "[ -~]{0,40}",
    ]
}

/// Any JSON value, nested a few levels: wrong types, huge and negative
/// numbers, nulls, odd strings.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        nasty_text().prop_map(Value::String),
        Just(json!(Uuid::nil().to_string())),
        Just(json!("00000000-0000-4000-8000-00000000000g")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A full, valid ORUK service.
pub fn valid_service() -> Value {
    json!({
        "id": "a0000000-0000-4000-8000-000000000001",
        "name": "Family Hub drop-in",
        "description": "Advice for families",
        "status": "active",
        "url": "https://example.org/hub",
        "email": "hub@example.org",
        "minimum_age": 0,
        "maximum_age": 18,
        "organization": {
            "id": "a0000000-0000-4000-8000-000000000002",
            "name": "Hub Trust",
            "description": "A trust"
        },
        "service_at_locations": [{
            "id": "a0000000-0000-4000-8000-000000000003",
            "location": {
                "id": "a0000000-0000-4000-8000-000000000004",
                "name": "Eastfield Library",
                "latitude": 53.8,
                "longitude": -1.55,
                "addresses": [{
                    "id": "a0000000-0000-4000-8000-000000000005",
                    "address_1": "1 High Street",
                    "city": "Leeds",
                    "postal_code": "LS1 1AA",
                    "country": "GB",
                    "address_type": "physical"
                }]
            }
        }],
        "cost_options": [{ "id": "a0000000-0000-4000-8000-000000000006", "amount": 0 }],
        "languages": [{ "id": "a0000000-0000-4000-8000-000000000007", "name": "English", "code": "en" }],
        "schedules": [{
            "id": "a0000000-0000-4000-8000-000000000008",
            "freq": "WEEKLY",
            "byday": "MO,WE",
            "opens_at": "09:30",
            "closes_at": "11:30:00",
            "valid_from": "2026-01-01"
        }],
        "contacts": [{
            "id": "a0000000-0000-4000-8000-000000000009",
            "name": "Sam",
            "phones": [{ "id": "a0000000-0000-4000-8000-00000000000a", "number": "0113 496 0000" }]
        }],
        "service_areas": [{ "id": "a0000000-0000-4000-8000-00000000000b", "name": "Leeds" }],
        "attributes": [{
            "id": "a0000000-0000-4000-8000-00000000000c",
            "taxonomy_term": {
                "id": "a0000000-0000-4000-8000-00000000000d",
                "name": "Parenting",
                "description": "Parenting support"
            }
        }],
        "last_modified": "2026-01-02T03:04:05Z"
    })
}

/// Every JSON pointer in `value` (the root too).
pub fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{here}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// One way to break a document at one place.
#[derive(Debug, Clone)]
pub enum Mutation {
    Replace(Value),
    Remove,
    WrapInArray,
    Nullify,
    LongString(usize),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => any_json().prop_map(Mutation::Replace),
        2 => Just(Mutation::Remove),
        1 => Just(Mutation::WrapInArray),
        1 => Just(Mutation::Nullify),
        1 => (0usize..20_000).prop_map(Mutation::LongString),
    ]
}

pub fn mutate(document: &mut Value, pointer: &str, mutation: &Mutation) {
    if let Mutation::Remove = mutation {
        if let Some((parent, key)) = pointer.rsplit_once('/') {
            let key = key.replace("~1", "/").replace("~0", "~");
            match document.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&key);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        } else {
            *document = Value::Null;
        }
        return;
    }
    let Some(slot) = document.pointer_mut(pointer) else {
        return;
    };
    *slot = match mutation {
        Mutation::Replace(v) => v.clone(),
        Mutation::WrapInArray => Value::Array(vec![slot.take()]),
        Mutation::Nullify => Value::Null,
        Mutation::LongString(n) => Value::String("ü".repeat(*n)),
        Mutation::Remove => unreachable!(),
    };
}

/// The valid service broken in one to three places.
pub fn mangled_service() -> impl Strategy<Value = Value> {
    let mut all = Vec::new();
    pointers(&valid_service(), String::new(), &mut all);
    let count = all.len();
    prop::collection::vec((0..count, mutation()), 1..4).prop_map(move |changes| {
        let mut document = valid_service();
        for (at, change) in changes {
            // Earlier changes may have removed later places: skip those.
            mutate(&mut document, &all[at], &change);
        }
        document
    })
}

pub fn fields_named(errors: &ValidationErrors, allowed: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(!errors.is_empty(), "an Err with no errors in it");
    for error in &errors.0 {
        prop_assert!(
            allowed.contains(&error.field),
            "unknown field {:?} ({:?})",
            error.field,
            error.message
        );
        prop_assert!(!error.message.trim().is_empty(), "{:?}", error.field);
    }
    prop_assert!(!errors.to_string().is_empty());
    Ok(())
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}
