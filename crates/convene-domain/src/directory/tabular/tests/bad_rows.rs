//! Bad rows reported by file, row and column; sets that fail whole.

use std::collections::BTreeMap;

use serde_json::json;

use crate::directory::parse_service;
use crate::directory::tabular::{RowProblem, TabularError, read_tables};

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
fn a_problem_names_at_most_five_of_the_services_it_leaves_out() {
    let mut problem = RowProblem {
        file: "organizations.csv".into(),
        row: 2,
        column: "name".into(),
        reason: "why".into(),
        services: (1..=7).map(|n| format!("s{n}")).collect(),
    };
    assert_eq!(
        problem.to_string(),
        "organizations.csv row 2, column name: why (so 7 services were not read, among them s1, s2, s3, s4, s5)"
    );
    problem.services.truncate(2);
    assert!(
        problem
            .to_string()
            .ends_with("(so services s1, s2 were not read)")
    );
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

#[test]
fn unnamed_trailing_columns_are_passed_over() {
    let mut set = small_set();
    set.insert(
        "contacts.csv".into(),
        "id,service_id,name,,\n40000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000001,Sam,,\n".into(),
    );
    let read = read_tables(&set).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.documents[0]["contacts"][0]["name"], "Sam");
}
