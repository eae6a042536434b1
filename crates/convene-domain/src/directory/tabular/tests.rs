//! Reading the ORUK example set, writing and reading back, and bad rows.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::directory::document::tidy;
use crate::directory::parse_service;

fn oruk(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/oruk/examples")
        .join(path)
}

fn example_set() -> BTreeMap<String, String> {
    let dir = oruk("csv");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("the ORUK examples must be at ../shared/oruk (see the README)");
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn files_of(written: &TabularWrite) -> BTreeMap<String, String> {
    written.files.iter().cloned().collect()
}

/// What reading gives back for a document: the same, tidied, with the
/// `organization_id` every service carries in the tabular form.
fn expected_back(document: &Value) -> Value {
    let mut expected = tidy(document.clone()).unwrap();
    if let Some(id) = expected.pointer("/organization/id").cloned() {
        expected["organization_id"] = id;
    }
    expected
}

#[test]
fn the_oruk_example_set_reads_into_a_service_parse_service_accepts() {
    let read = read_tables(&example_set()).unwrap();
    assert_eq!(read.documents.len(), 1);
    let record = parse_service(&read.documents[0]).unwrap();
    assert_eq!(record.name, "Community Counselling");
    assert_eq!(record.locations.len(), 1);
    assert_eq!(
        record.locations[0].postcode.as_ref().map(|p| p.as_str()),
        None,
        "ABC 1234 is not a UK postcode"
    );
    let doc = &read.documents[0];
    assert_eq!(doc["organization"]["name"], "Example Organization Inc.");
    assert_eq!(
        doc["organization"]["organization_identifiers"][0]["identifier"],
        "1234567"
    );
    let location = &doc["service_at_locations"][0]["location"];
    assert_eq!(location["latitude"], json!(100));
    // addresses.csv (with address_2) is read, not address.csv.
    assert_eq!(location["addresses"][0]["address_2"], "MyVillage");
    assert_eq!(
        location["accessibility"][0]["details"]
            .as_str()
            .unwrap()
            .len(),
        67
    );
    assert_eq!(
        doc["contacts"][0]["phones"][0]["number"],
        "\"+44 1234 234567\""
    );
    assert_eq!(doc["cost_options"][0]["amount"], json!(35));
    // schedules.csv (the fuller) is read, not schedule.csv.
    assert_eq!(doc["schedules"][0]["byweekno"], "41,42");
    assert_eq!(doc["schedules"][0]["interval"], json!(1));
    assert_eq!(
        doc["languages"][0]["phone_id"],
        "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
    );
    assert_eq!(read.taxonomies.len(), 1);

    // The example's attribute links to an id that nothing in the set has:
    // reported, not dropped unsaid, and the service is still read.
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    let problem = &read.problems[0];
    assert_eq!(
        (problem.file.as_str(), problem.row, problem.column.as_str()),
        ("attribute.csv", 2, "link_id")
    );
    assert!(
        problem
            .reason
            .contains("f28dd44b-0c4d-479f-8e90-4c52219a8b3c"),
        "{problem}"
    );
    assert!(problem.services.is_empty());
    assert!(doc.get("attributes").is_none());

    for skipped in [
        "address.csv",
        "schedule.csv",
        "taxonomy.csv",
        "programs.csv",
        "required_documents.csv",
        "meta_table_descriptions.csv",
    ] {
        assert!(
            read.notes.iter().any(|n| n.starts_with(skipped)),
            "{skipped}: {:?}",
            read.notes
        );
    }
}

#[test]
fn the_full_example_writes_and_reads_back_equivalently() {
    let text = std::fs::read_to_string(oruk("service_full.json")).unwrap();
    let full: Value = serde_json::from_str(&text).unwrap();
    let written = write_tables(std::slice::from_ref(&full), &[]).unwrap();
    assert!(written.notes.is_empty(), "{:?}", written.notes);
    let read = read_tables(&files_of(&written)).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.documents, vec![expected_back(&full)]);
}

#[test]
fn every_table_is_written_with_its_header_even_when_empty() {
    let written = write_tables(&[], &[]).unwrap();
    let names: Vec<&str> = written.files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"services.csv") && names.contains(&"addresses.csv"));
    assert!(names.contains(&"schedules.csv") && names.contains(&"attribute.csv"));
    let services = &written
        .files
        .iter()
        .find(|(n, _)| n == "services.csv")
        .unwrap()
        .1;
    assert!(services.starts_with("id,organization_id,name,"));
    assert_eq!(services.lines().count(), 1);
}

#[test]
fn values_are_written_raw_and_quoted_where_csv_needs_it() {
    let doc = json!({
        "id": "00000000-0000-4000-8000-000000000001",
        "organization_id": "10000000-0000-4000-8000-000000000001",
        "organization": { "id": "10000000-0000-4000-8000-000000000001", "name": "=SUM(A1)", "description": "x" },
        "name": "Tea, \"cake\"\nand talk",
        "status": "active",
    });
    let written = write_tables(std::slice::from_ref(&doc), &[]).unwrap();
    let services = &files_of(&written)["services.csv"];
    assert!(
        services.contains("\"Tea, \"\"cake\"\"\nand talk\""),
        "{services}"
    );
    assert!(files_of(&written)["organizations.csv"].contains(",=SUM(A1),"));
    let read = read_tables(&files_of(&written)).unwrap();
    assert_eq!(read.documents, vec![expected_back(&doc)]);
}

#[test]
fn fields_the_tables_have_no_place_for_are_noted() {
    let doc = json!({
        "id": "00000000-0000-4000-8000-000000000001",
        "organization_id": "10000000-0000-4000-8000-000000000001",
        "name": "Stay and play",
        "status": "active",
        "eligibility_description": "Under fives",
        "contacts": [{ "name": "No id" }],
    });
    let written = write_tables(&[doc], &[]).unwrap();
    assert!(
        written
            .notes
            .iter()
            .any(|n| n.contains("eligibility_description")),
        "{:?}",
        written.notes
    );
    assert!(
        written
            .notes
            .iter()
            .any(|n| n.contains("contacts.csv: an entry without an id")),
        "{:?}",
        written.notes
    );
}

#[test]
fn a_shared_location_is_written_once() {
    let location = json!({ "id": "20000000-0000-4000-8000-000000000001", "location_type": "physical", "name": "Hall" });
    let service = |n: u8| {
        json!({
            "id": format!("00000000-0000-4000-8000-00000000000{n}"),
            "organization_id": "10000000-0000-4000-8000-000000000001",
            "name": format!("Service {n}"),
            "status": "active",
            "service_at_locations": [{ "id": format!("30000000-0000-4000-8000-00000000000{n}"), "location": location }],
        })
    };
    let docs = [service(1), service(2)];
    let written = write_tables(&docs, &[]).unwrap();
    assert_eq!(files_of(&written)["locations.csv"].lines().count(), 2);
    let read = read_tables(&files_of(&written)).unwrap();
    assert_eq!(
        read.documents,
        docs.iter().map(expected_back).collect::<Vec<_>>()
    );
}

/// A small good set to break one piece of at a time.
fn small_set() -> BTreeMap<String, String> {
    [
        ("services.csv", "id,organization_id,name,status,minimum_age\n00000000-0000-4000-8000-000000000001,10000000-0000-4000-8000-000000000001,Stay and play,active,0\n00000000-0000-4000-8000-000000000002,10000000-0000-4000-8000-000000000001,Baby massage,active,0\n"),
        ("organizations.csv", "id,name,description\n10000000-0000-4000-8000-000000000001,Eastfield Hub,A family hub\n"),
        ("contacts.csv", "id,service_id,name\n40000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000001,Sam\n"),
        ("cost_options.csv", "id,service_id,amount\n50000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000002,2.5\n"),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t.to_string()))
    .collect()
}

#[test]
fn the_small_set_reads_cleanly() {
    let read = read_tables(&small_set()).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.documents.len(), 2);
    assert_eq!(read.documents[0]["contacts"][0]["name"], "Sam");
    assert_eq!(read.documents[1]["cost_options"][0]["amount"], json!(2.5));
}

#[test]
fn each_bad_row_is_reported_with_file_row_column_and_the_services_left_out() {
    const S1: &str = "00000000-0000-4000-8000-000000000001";
    const S2: &str = "00000000-0000-4000-8000-000000000002";
    // (file, text to append, row, column, words in the reason, services left out)
    type Case = (
        &'static str,
        &'static str,
        usize,
        &'static str,
        &'static str,
        Vec<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "cost_options.csv",
            "50000000-0000-4000-8000-000000000002,00000000-0000-4000-8000-000000000001,lots\n",
            3,
            "amount",
            "not a number",
            vec![S1],
        ),
        (
            "contacts.csv",
            "40000000-0000-4000-8000-000000000002,00000000-0000-4000-8000-000000000009,Jo\n",
            3,
            "service_id",
            "no row of services.csv",
            vec![],
        ),
        (
            "contacts.csv",
            "40000000-0000-4000-8000-000000000002,,Jo\n",
            3,
            "service_id",
            "belongs to nothing",
            vec![],
        ),
        (
            "contacts.csv",
            "not-an-id,00000000-0000-4000-8000-000000000002,Jo\n",
            3,
            "id",
            "not a UUID",
            vec![S2],
        ),
        (
            "contacts.csv",
            "40000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000002,Jo\n",
            3,
            "id",
            "already used in row 2",
            vec![S2],
        ),
        (
            "contacts.csv",
            ",00000000-0000-4000-8000-000000000002,Jo\n",
            3,
            "id",
            "needs an id",
            vec![S2],
        ),
        (
            "contacts.csv",
            "40000000-0000-4000-8000-000000000002,00000000-0000-4000-8000-000000000002\n",
            3,
            "",
            "2 cells where the header has 3",
            vec![S2],
        ),
        (
            "services.csv",
            "00000000-0000-4000-8000-000000000003,10000000-0000-4000-8000-000000000001,Old,active,ten\n",
            4,
            "minimum_age",
            "not a number",
            vec!["00000000-0000-4000-8000-000000000003"],
        ),
        (
            "services.csv",
            ",10000000-0000-4000-8000-000000000001,Nameless,active,0\n",
            4,
            "id",
            "needs an id",
            vec!["in row 4"],
        ),
    ];
    for (file, extra, row, column, words, left_out) in cases {
        let mut set = small_set();
        set.get_mut(file).unwrap().push_str(extra);
        let read = read_tables(&set).unwrap();
        assert_eq!(
            read.problems.len(),
            1,
            "{file} {extra}: {:?}",
            read.problems
        );
        let problem = &read.problems[0];
        assert_eq!(
            (problem.file.as_str(), problem.row, problem.column.as_str()),
            (file, row, column),
            "{problem}"
        );
        assert!(problem.reason.contains(words), "{problem}");
        assert_eq!(problem.services, left_out, "{problem}");
        let read_ids: Vec<&str> = read
            .documents
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        for id in [S1, S2] {
            assert_eq!(read_ids.contains(&id), !left_out.contains(&id), "{problem}");
        }
    }
}

#[test]
fn a_service_may_name_its_organisation_by_id_alone() {
    let mut set = small_set();
    set.remove("organizations.csv");
    let read = read_tables(&set).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.documents.len(), 2);
    assert!(read.documents[0].get("organization").is_none());
    assert_eq!(
        read.documents[0]["organization_id"],
        "10000000-0000-4000-8000-000000000001"
    );
    assert!(parse_service(&read.documents[0]).is_ok());
    assert!(
        read.notes.iter().any(|n| n.starts_with(
            "services.csv row 2, column organization_id: no row of organizations.csv"
        )),
        "{:?}",
        read.notes
    );
}

#[test]
fn a_bad_shared_row_leaves_out_every_service_that_uses_it() {
    let mut set = small_set();
    set.insert(
        "locations.csv".into(),
        "id,name,latitude\n20000000-0000-4000-8000-000000000001,Hall,north\n".into(),
    );
    set.insert("service_at_location.csv".into(), format!(
        "id,service_id,location_id\n30000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000001,{l}\n30000000-0000-4000-8000-000000000002,00000000-0000-4000-8000-000000000002,{l}\n",
        l = "20000000-0000-4000-8000-000000000001"
    ));
    let read = read_tables(&set).unwrap();
    assert!(read.documents.is_empty());
    assert_eq!(read.problems.len(), 1);
    assert_eq!(read.problems[0].services.len(), 2);
    assert!(read.problems[0].to_string().starts_with(
        "locations.csv row 2, column latitude: \"north\" is not a number (so services"
    ));
}

#[test]
fn a_set_that_cannot_be_read_fails_whole() {
    let mut set = small_set();
    set.remove("services.csv");
    assert_eq!(read_tables(&set), Err(TabularError::NoServices));

    let mut set = small_set();
    set.insert("contacts.csv".into(), "id,name\n".into());
    assert_eq!(
        read_tables(&set),
        Err(TabularError::MissingColumn {
            file: "contacts.csv".into(),
            column: "service_id".into()
        })
    );

    let mut set = small_set();
    set.insert(
        "services.csv".into(),
        "id,organization_id,name,status,name\n".into(),
    );
    assert_eq!(
        read_tables(&set),
        Err(TabularError::DuplicateColumn {
            file: "services.csv".into(),
            column: "name".into()
        })
    );
}

#[test]
fn headers_may_differ_in_case_and_order_and_carry_a_byte_order_mark() {
    let mut set = small_set();
    set.insert("Services.CSV".into(), set["services.csv"].clone());
    set.remove("services.csv");
    set.insert("contacts.csv".into(), "\u{feff}Name, ID ,service_id\nSam,40000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000001\n".into());
    let read = read_tables(&set).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.documents[0]["contacts"][0]["name"], "Sam");
}

// Round trip over varied documents.

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
    fn documents_write_and_read_back_the_same(documents in proptest::collection::vec(service(), 1..4)) {
        let written = write_tables(&documents, &[]).unwrap();
        prop_assert!(written.notes.is_empty(), "{:?}", written.notes);
        let read = read_tables(&files_of(&written)).unwrap();
        prop_assert!(read.problems.is_empty(), "{:?}", read.problems);
        let expected: Vec<Value> = documents.iter().map(expected_back).collect();
        prop_assert_eq!(read.documents, expected);
    }

    #[test]
    fn reading_any_text_never_panics(services in ".{0,200}", contacts in ".{0,200}") {
        let set: BTreeMap<String, String> = [("services.csv".to_string(), services), ("contacts.csv".to_string(), contacts)].into_iter().collect();
        let _ = read_tables(&set);
    }
}
