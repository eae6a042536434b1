//! Varied documents written as tables and read back the same.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{expected_back, files_of};
use crate::directory::tabular::{read_tables, write_tables};

fn uuid() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string())
}

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "[a-zA-Z ]{1,12}",
        "[a-z,\"\n\r;=+@'-]{1,10}",
        ".{1,8}",
    ])
}

fn number() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of(prop_oneof![
        (0u64..200).prop_map(Value::from),
        (-1000i64..0).prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
    ])
}

fn object(pairs: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

fn s(v: Option<String>) -> Option<Value> {
    v.map(Value::String)
}

fn term() -> impl Strategy<Value = Value> {
    (uuid(), "[a-z]{1,8}", text(), proptest::option::of(uuid())).prop_map(
        |(id, name, taxonomy, taxonomy_id)| {
            object(vec![
                ("id", Some(id.into())),
                ("name", Some(name.into())),
                ("description", Some("d".into())),
                ("taxonomy", s(taxonomy)),
                ("taxonomy_id", s(taxonomy_id)),
            ])
        },
    )
}

fn attributes() -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec((uuid(), text(), term()), 0..3).prop_map(|items| {
        items
            .into_iter()
            .map(|(id, link_type, term)| {
                object(vec![
                    ("id", Some(id.into())),
                    ("link_type", s(link_type)),
                    ("taxonomy_term", Some(term)),
                ])
            })
            .collect()
    })
}

fn location() -> impl Strategy<Value = Value> {
    (
        uuid(),
        text(),
        number(),
        number(),
        proptest::collection::vec((uuid(), text(), text(), attributes()), 0..3),
        attributes(),
        proptest::collection::vec(schedule(), 0..2),
    )
        .prop_map(|(id, name, lat, lon, addresses, attributes, schedules)| {
            object(vec![
                ("id", Some(id.into())),
                ("location_type", Some("physical".into())),
                ("name", s(name)),
                ("latitude", lat),
                ("longitude", lon),
                (
                    "addresses",
                    Some(
                        addresses
                            .into_iter()
                            .map(|(id, line, postcode, attributes)| {
                                object(vec![
                                    ("id", Some(id.into())),
                                    ("address_1", s(line)),
                                    ("postal_code", s(postcode)),
                                    ("attributes", Some(Value::Array(attributes))),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("attributes", Some(Value::Array(attributes))),
                ("schedules", Some(Value::Array(schedules))),
            ])
        })
}

fn schedule() -> impl Strategy<Value = Value> {
    (uuid(), text(), proptest::option::of(0u64..5), text()).prop_map(
        |(id, byday, interval, description)| {
            object(vec![
                ("id", Some(id.into())),
                ("freq", Some("WEEKLY".into())),
                ("byday", s(byday)),
                ("interval", interval.map(Value::from)),
                ("description", s(description)),
            ])
        },
    )
}

fn service() -> impl Strategy<Value = Value> {
    let organisation = (uuid(), "[a-z]{1,8}", text(), attributes()).prop_map(
        |(id, name, description, attributes)| {
            object(vec![
                ("id", Some(id.into())),
                ("name", Some(name.into())),
                ("description", s(description)),
                ("attributes", Some(Value::Array(attributes))),
            ])
        },
    );
    let contacts = proptest::collection::vec(
        (
            uuid(),
            text(),
            proptest::collection::vec(
                (
                    uuid(),
                    "[0-9 +]{1,12}",
                    proptest::collection::vec((uuid(), text()), 0..2),
                ),
                0..2,
            ),
        ),
        0..3,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(id, name, phones)| {
                let phones = phones
                    .into_iter()
                    .map(|(id, number, languages)| {
                        let languages: Vec<Value> = languages
                            .into_iter()
                            .map(|(id, name)| {
                                object(vec![("id", Some(id.into())), ("name", s(name))])
                            })
                            .collect();
                        json!({ "id": id, "number": number, "languages": languages })
                    })
                    .collect();
                object(vec![
                    ("id", Some(id.into())),
                    ("name", s(name)),
                    ("phones", Some(Value::Array(phones))),
                ])
            })
            .collect::<Vec<_>>()
    });
    let links = proptest::collection::vec(
        (
            uuid(),
            location(),
            proptest::collection::vec(schedule(), 0..2),
        ),
        0..3,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(id, location, schedules)| {
                object(vec![
                    ("id", Some(id.into())),
                    ("location", Some(location)),
                    ("schedules", Some(Value::Array(schedules))),
                ])
            })
            .collect::<Vec<_>>()
    });
    let costs = proptest::collection::vec((uuid(), number(), text()), 0..3);
    let languages = proptest::collection::vec((uuid(), text(), text()), 0..3);
    (
        (uuid(), "[a-zA-Z]{1,10}", text(), number(), organisation),
        (
            contacts,
            links,
            costs,
            languages,
            proptest::collection::vec(schedule(), 0..2),
            attributes(),
        ),
    )
        .prop_map(
            |(
                (id, name, description, age, organisation),
                (contacts, links, costs, languages, schedules, attributes),
            )| {
                object(vec![
                    ("id", Some(id.into())),
                    ("organization_id", organisation.get("id").cloned()),
                    ("organization", Some(organisation)),
                    ("name", Some(name.into())),
                    ("status", Some("active".into())),
                    ("description", s(description)),
                    ("minimum_age", age),
                    ("contacts", Some(Value::Array(contacts))),
                    ("service_at_locations", Some(Value::Array(links))),
                    (
                        "cost_options",
                        Some(
                            costs
                                .into_iter()
                                .map(|(id, amount, option)| {
                                    object(vec![
                                        ("id", Some(id.into())),
                                        ("amount", amount),
                                        ("option", s(option)),
                                        ("currency", Some("GBP".into())),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    (
                        "languages",
                        Some(
                            languages
                                .into_iter()
                                .map(|(id, name, code)| {
                                    object(vec![
                                        ("id", Some(id.into())),
                                        ("name", s(name)),
                                        ("code", s(code)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    ("schedules", Some(Value::Array(schedules))),
                    ("attributes", Some(Value::Array(attributes))),
                ])
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn documents_write_and_read_back_the_same(
        documents in proptest::collection::vec(service(), 1..4)
    ) {
        let written = write_tables(&documents, &[]).unwrap();
        prop_assert!(written.notes.is_empty(), "{:?}", written.notes);
        let read = read_tables(&files_of(&written)).unwrap();
        prop_assert!(read.problems.is_empty(), "{:?}", read.problems);
        let expected: Vec<Value> = documents.iter().map(expected_back).collect();
        prop_assert_eq!(read.documents, expected);
    }

    #[test]
    fn reading_any_text_never_panics(services in ".{0,200}", contacts in ".{0,200}") {
        let set: BTreeMap<String, String> = [
            ("services.csv".to_string(), services),
            ("contacts.csv".to_string(), contacts),
        ]
        .into_iter()
        .collect();
        let _ = read_tables(&set);
    }
}
