//! The ORUK example set and service_full.json, and how values are written.

use serde_json::{Value, json};

use super::{example_set, expected_back, files_of, oruk};
use crate::directory::parse_service;
use crate::directory::tabular::{read_tables, write_tables};

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
