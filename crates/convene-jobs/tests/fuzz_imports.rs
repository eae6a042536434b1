//! Bad input through the importer, on both backends: one mangled record
//! among good ones never stops the good ones, and nothing of it is stored
//! when it is refused; a set of tables that cannot be read stores nothing.
//! The mangled input comes from a seeded generator (the same every run),
//! all through one database: a fresh database per case would be too slow.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use convene_domain::clock::{ManualClock, SharedClock};
use convene_domain::directory::parse_service;
use convene_domain::directory::tabular::{read_tables, write_tables};
use convene_jobs::import::{ImportReport, import_services};
use convene_store::directory::services;
use convene_store::{Store, store_test};
use serde_json::{Value, json};
use uuid::Uuid;

/// Mangled records per backend.
const RECORD_CASES: u64 = 40;
/// Mangled table sets per backend.
const TABLE_CASES: u64 = 16;

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ))
}

/// A small, seeded xorshift generator: the same cases every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The id of part `part` of record `record` in case `case` of `family`:
/// unique to it, so cases never meet in the database.
fn id(family: u128, case: u64, record: u64, part: u128) -> Uuid {
    Uuid::from_u128(
        (0xF022u128 << 112)
            | (family << 96)
            | (u128::from(case) << 32)
            | (u128::from(record) << 8)
            | part,
    )
}

const SERVICE: u128 = 1;
const LINK: u128 = 2;
const LOCATION: u128 = 3;
const ADDRESS: u128 = 4;
const COST: u128 = 5;
const SCHEDULE: u128 = 6;
const CONTACT: u128 = 7;

/// A full, valid service.
fn service(family: u128, case: u64, record: u64) -> Value {
    let id = |part| id(family, case, record, part).to_string();
    json!({
        "id": id(SERVICE),
        "name": format!("Family group {case}/{record}"),
        "description": "Open to every family",
        "status": "active",
        "minimum_age": 0,
        "maximum_age": 18,
        "organization": {
            "id": self::id(family, case, 0, 0xFF).to_string(),
            "name": "Hub Trust",
            "description": "A trust"
        },
        "service_at_locations": [{
            "id": id(LINK),
            "location": {
                "id": id(LOCATION),
                "name": "Library",
                "latitude": 53.8,
                "longitude": -1.55,
                "addresses": [{
                    "id": id(ADDRESS),
                    "address_1": "1 High Street",
                    "city": "Leeds",
                    "postal_code": "LS1 1AA",
                    "country": "GB",
                    "address_type": "physical"
                }]
            }
        }],
        "cost_options": [{ "id": id(COST), "amount": 2.5 }],
        "schedules": [{
            "id": id(SCHEDULE), "freq": "WEEKLY", "byday": "MO,WE",
            "opens_at": "09:30", "closes_at": "11:30"
        }],
        "contacts": [{ "id": id(CONTACT), "name": "Sam" }],
        "languages": [{ "name": "English", "code": "en" }]
    })
}

fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (key, v) in map {
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

/// Values that do not belong: wrong types, huge and negative numbers,
/// odd text, nested nulls, and ids the good records in the same batch use
/// (a location's, the organisation's) so that the database has a say.
fn odd_value(rng: &mut Rng, sibling: &Value) -> Value {
    let sibling_location = sibling["service_at_locations"][0]["location"]["id"].clone();
    let sibling_link = sibling["service_at_locations"][0]["id"].clone();
    let organisation = sibling["organization"]["id"].clone();
    let choices = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e308),
        json!(-0.5),
        json!(""),
        json!("   "),
        json!("not-a-uuid"),
        json!("💩👨‍👩‍👧 e\u{301} \u{202e}"),
        json!("\u{0}\u{7}"),
        json!("x".repeat(70_000)),
        json!([]),
        json!({}),
        json!([null, {"id": null}]),
        json!({"id": {"id": null}}),
        json!("2026-13-45T99:99:99Z"),
        json!("ABC 1234"),
        sibling_location,
        sibling_link,
        organisation,
    ];
    rng.pick(&choices).clone()
}

/// The good service broken in one to three places.
fn mangle(rng: &mut Rng, mut document: Value, sibling: &Value) -> Value {
    for _ in 0..=rng.below(3) {
        let mut all = Vec::new();
        pointers(&document, String::new(), &mut all);
        let at = rng.pick(&all).clone();
        if rng.below(4) == 0 {
            if let Some((parent, key)) = at.rsplit_once('/') {
                match document.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(key);
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(i) = key.parse::<usize>() {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let value = odd_value(rng, sibling);
            if let Some(slot) = document.pointer_mut(&at) {
                *slot = value;
            }
        }
    }
    document
}

async fn stored(store: &Store, id: Uuid) -> bool {
    services::document(store.conn(), id)
        .await
        .unwrap()
        .is_some()
}

async fn count(store: &Store) -> u64 {
    services::count(store.conn()).await.unwrap()
}

store_test!(
    one_mangled_record_among_good_ones_stores_the_good_ones_and_nothing_of_it,
    |store| async move {
        let clock = clock();
        let mut rng = Rng::new(20_261_123);
        let (mut accepted, mut by_database) = (0, 0);
        for case in 0..RECORD_CASES {
            let good: Vec<Value> = (1..=3).map(|r| service(1, case, r)).collect();
            let mut bad = mangle(&mut rng, service(1, case, 9), &good[0]);
            if case % 5 == 0 {
                // A place link a good record in the batch already has: only
                // the database can tell, and it must refuse this one alone.
                bad = service(1, case, 9);
                bad["service_at_locations"][0]["id"] =
                    good[0]["service_at_locations"][0]["id"].clone();
            }
            // A clash goes last: the first of two records with one link id
            // is the one stored.
            let at = if case % 5 == 0 {
                good.len()
            } else {
                rng.below(good.len() + 1)
            };
            let mut batch = good.clone();
            batch.insert(at, bad.clone());
            let parsed = parse_service(&bad);

            let before = count(&store).await;
            let report: ImportReport = import_services(&store, &clock, &batch, "import:fuzz")
                .await
                .unwrap_or_else(|e| panic!("case {case}: the import failed: {e}\n{bad:#}"));
            let after = count(&store).await;

            for document in &good {
                let id = Uuid::parse_str(document["id"].as_str().unwrap()).unwrap();
                assert!(
                    stored(&store, id).await,
                    "case {case}: good service {id} not stored ({report:?})\nbad: {bad:#}"
                );
            }
            assert!(report.refused.len() <= 1, "case {case}: {report:?}");
            for refusal in &report.refused {
                by_database += usize::from(refusal.reason.contains("database"));
                assert!(
                    !refusal.reason.trim().is_empty(),
                    "case {case}: {refusal:?}"
                );
                assert!(!refusal.record.is_empty(), "case {case}: {refusal:?}");
            }
            let bad_id = bad
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok());
            if report.refused.is_empty() {
                assert!(parsed.is_ok(), "case {case}: {parsed:?} yet not refused");
                accepted += 1;
                assert_eq!(after, before + 4, "case {case}: {report:?}");
                assert!(stored(&store, bad_id.unwrap()).await, "case {case}");
            } else {
                assert_eq!(
                    after,
                    before + 3,
                    "case {case}: the refused record left a service behind ({report:?})\n{bad:#}"
                );
                if let Some(bad_id) = bad_id {
                    assert!(
                        !stored(&store, bad_id).await,
                        "case {case}: refused yet stored\n{bad:#}"
                    );
                }
                let own_link = id(1, case, 9, LINK);
                assert!(
                    services::service_at_location(store.conn(), own_link)
                        .await
                        .unwrap()
                        .is_none(),
                    "case {case}: the refused record's place was stored\n{bad:#}"
                );
            }
            assert_eq!(report.created, after as usize - before as usize);
        }
        // The generator is not so gentle that nothing is refused, nor so
        // rough that nothing gets through.
        assert!(accepted > 0 && accepted < RECORD_CASES, "{accepted}");
        assert!(by_database > 0, "the database's refusals were not tried");
    }
);

/// What the `convene import-tables` command does with a set: read it, and
/// import what was read; a set that cannot be read imports nothing.
async fn import_set(
    store: &Store,
    files: &BTreeMap<String, String>,
) -> Result<(ImportReport, Vec<Uuid>), String> {
    let read = read_tables(files).map_err(|e| e.to_string())?;
    let report = import_services(store, &clock(), &read.documents, "import:tables")
        .await
        .map_err(|e| e.to_string())?;
    let named = read
        .problems
        .iter()
        .flat_map(|p| p.services.iter())
        .filter_map(|s| Uuid::parse_str(s).ok())
        .filter(|id| {
            !read
                .documents
                .iter()
                .any(|d| d["id"].as_str() == Some(&id.to_string()))
        })
        .collect();
    Ok((report, named))
}

fn table_set(case: u64) -> BTreeMap<String, String> {
    let documents: Vec<Value> = (1..=3).map(|r| service(2, case, r)).collect();
    write_tables(&documents, &[])
        .unwrap()
        .files
        .into_iter()
        .collect()
}

store_test!(a_broken_table_set_imports_nothing, |store| async move {
    let good = table_set(0);
    let header = |files: &BTreeMap<String, String>| {
        files["services.csv"].lines().next().unwrap().to_string()
    };

    // No services.csv.
    let mut no_services = good.clone();
    no_services.remove("services.csv");
    // A column twice.
    let mut twice = good.clone();
    let text = twice["services.csv"].clone();
    let first = header(&twice);
    twice.insert(
        "services.csv".into(),
        text.replacen(&first, &format!("{first},name"), 1),
    );
    // A required column gone (its cells shift left into the wrong columns).
    let mut no_id = good.clone();
    let renamed = first.replacen("id", "identifier", 1);
    no_id.insert(
        "services.csv".into(),
        no_id["services.csv"].replacen(&first, &renamed, 1),
    );
    // A required column of locations missing.
    let mut no_location_id = good.clone();
    let locations = no_location_id["service_at_location.csv"].clone();
    let links_header = locations.lines().next().unwrap().to_string();
    no_location_id.insert(
        "service_at_location.csv".into(),
        locations.replacen(
            &links_header,
            &links_header.replace("location_id", "place"),
            1,
        ),
    );

    for (what, set) in [
        ("no services.csv", no_services),
        ("a column twice", twice),
        ("no id column", no_id),
        ("no location_id column", no_location_id),
    ] {
        let before = count(&store).await;
        let outcome = import_set(&store, &set).await;
        assert!(
            outcome.as_ref().is_err_and(|e| !e.is_empty()),
            "{what}: {:?}",
            outcome.map(|(r, _)| r)
        );
        assert_eq!(count(&store).await, before, "{what}");
    }

    // Mangled sets: read and imported in part, or not at all; a service
    // a bad row names is never stored.
    let mut rng = Rng::new(7);
    let cells = [
        "\"",
        "\"open",
        "a,b",
        "\n",
        "-5",
        "1e999",
        "NaN",
        "",
        "💩",
        "not-a-uuid",
        "active",
        "x\"y",
        "\r\n\r\n",
        "=1+1",
    ];
    for case in 1..=TABLE_CASES {
        let mut set = table_set(case);
        for _ in 0..=rng.below(2) {
            let names: Vec<String> = set.keys().cloned().collect();
            let name = rng.pick(&names).clone();
            let mut lines: Vec<String> = set[&name].lines().map(str::to_string).collect();
            let line = rng.below(lines.len());
            let mut parts: Vec<String> = lines[line].split(',').map(str::to_string).collect();
            let cell = rng.below(parts.len());
            parts[cell] = (*rng.pick(&cells)).to_string();
            lines[line] = parts.join(",");
            set.insert(name, lines.join("\n"));
        }
        let before = count(&store).await;
        match import_set(&store, &set).await {
            Err(message) => {
                assert!(!message.is_empty(), "case {case}");
                assert_eq!(count(&store).await, before, "case {case}: {message}");
            }
            Ok((report, named)) => {
                let after = count(&store).await;
                assert_eq!(
                    report.created,
                    after as usize - before as usize,
                    "case {case}: {report:?}"
                );
                for id in named {
                    assert!(
                        !stored(&store, id).await,
                        "case {case}: {id} was named in a bad row, yet stored"
                    );
                }
            }
        }
    }
});
