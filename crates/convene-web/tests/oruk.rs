//! The ORUK 3.0 read API: every response validates against the ORUK
//! schemas in ../shared/oruk; the full example imports and exports back
//! equivalently; filters combine with AND; bad parameters are clear 400s.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use common::TestApp;
use convene_domain::clock::SharedClock;
use convene_domain::directory::document::tidy;
use convene_domain::directory::taxonomy;
use convene_jobs::import::import_services;
use serde_json::{Value, json};

fn oruk(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/oruk")
        .join(path)
}

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(oruk(path))
        .unwrap_or_else(|e| panic!("{path}: {e} (the ORUK files must be at ../shared/oruk)"));
    serde_json::from_str(&text).unwrap()
}

/// A validator for one of ORUK's schemas, with the per-object schemas it
/// refers to by relative path inlined (the compiled ones need none).
fn validator(path: &str) -> jsonschema::Validator {
    let mut schema = read_json(path);
    inline_refs(&mut schema);
    jsonschema::validator_for(&schema).unwrap()
}

fn inline_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref").cloned()
                && !reference.starts_with('#')
            {
                let file = reference.rsplit('/').next().unwrap().to_string();
                let mut target = read_json(&format!("schema/{file}"));
                inline_refs(&mut target);
                *value = target;
                return;
            }
            for v in map.values_mut() {
                inline_refs(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(inline_refs),
        _ => {}
    }
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the ORUK schema:\n{}",
        errors.join("\n")
    );
}

fn service(
    n: u32,
    organisation: &str,
    min: Option<u16>,
    max: Option<u16>,
    term: Option<&str>,
) -> Value {
    let mut doc = json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": format!("Service {n:03}"),
        "description": format!("Support number {n} for families"),
        "status": "active",
        "organization": { "id": organisation, "name": "Test organisation", "description": "Runs tests" },
        "service_at_locations": [{
            "id": format!("00000000-0000-4000-9000-{n:012}"),
            "location": {
                "id": format!("00000000-0000-4000-a000-{n:012}"),
                "location_type": "physical",
                "name": "Community hub",
                "latitude": 52.5,
                "longitude": -1.9,
                "addresses": [{ "id": format!("00000000-0000-4000-b000-{n:012}"), "address_1": "1 High Street", "city": "Brackenbury", "postal_code": "BK1 1AA", "country": "GB", "address_type": "physical", "state_province": "England" }]
            }
        }]
    });
    if let Some(min) = min {
        doc["minimum_age"] = json!(min);
    }
    if let Some(max) = max {
        doc["maximum_age"] = json!(max);
    }
    if let Some(code) = term {
        doc["attributes"] = json!([{
            "id": format!("00000000-0000-4000-c000-{n:012}"),
            "taxonomy_term": {
                "id": taxonomy::need_id(code),
                "name": code,
                "description": code,
                "taxonomy": taxonomy::TAXONOMY_NAME,
                "taxonomy_id": taxonomy::taxonomy_id()
            }
        }]);
    }
    doc
}

const ORG_A: &str = "10000000-0000-4000-8000-000000000001";
const ORG_B: &str = "10000000-0000-4000-8000-000000000002";

async fn app_with_directory() -> (TestApp, Value) {
    let app = TestApp::new().await;
    let clock: SharedClock = Arc::new(app.clock.clone());
    let full = read_json("examples/service_full.json");
    let mut documents = vec![full.clone()];
    for n in 1..=7 {
        let (org, min, max, term) = match n {
            1 => (ORG_A, Some(0), Some(4), Some("early-years")),
            2 => (ORG_A, Some(5), Some(11), Some("food")),
            3 => (ORG_B, Some(11), Some(18), Some("food")),
            4 => (ORG_B, None, None, Some("mental-health")),
            5 => (ORG_A, Some(19), Some(25), None),
            6 => (ORG_B, Some(0), None, Some("food")),
            _ => (ORG_A, None, Some(3), None),
        };
        documents.push(service(n, org, min, max, term));
    }
    let mut inactive = service(99, ORG_A, None, None, Some("food"));
    inactive["status"] = json!("inactive");
    documents.push(inactive);
    let report = import_services(app.store(), &clock, &documents, "import:test")
        .await
        .unwrap();
    assert_eq!(report.created, 9, "{report:?}");
    (app, full)
}

async fn json_of(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let reply = app.get(path).await;
    assert_eq!(reply.headers["access-control-allow-origin"], "*", "{path}");
    let value = serde_json::from_str(&reply.body)
        .unwrap_or_else(|_| panic!("{path} did not answer JSON: {}", reply.body));
    (reply.status, value)
}

#[tokio::test]
async fn the_full_example_exports_back_as_it_was_imported() {
    let (app, full) = app_with_directory().await;
    let (status, exported) =
        json_of(&app, "/oruk/services/ac148810-d857-441c-9679-408f346de14b").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(exported, tidy(full).unwrap());
    assert_valid(
        &validator("schema/compiled/service.json"),
        &exported,
        "GET /services/{id}",
    );
}

/// The ORUK example tables, read by the tabular importer, give a service
/// the ORUK schema accepts, extra HSDS schedule columns and all.
#[test]
fn the_example_tables_read_into_a_valid_service() {
    let files = std::fs::read_dir(oruk("examples/csv"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    let read = convene_domain::directory::tabular::read_tables(&files).unwrap();
    assert_eq!(read.documents.len(), 1);
    assert_valid(
        &validator("schema/compiled/service.json"),
        &read.documents[0],
        "the service read from the example tables",
    );
}

#[tokio::test]
async fn every_page_and_every_item_validates() {
    let (app, _) = app_with_directory().await;
    let (_, about) = json_of(&app, "/oruk/").await;
    assert_eq!(about["version"], "3.0");

    let list_item = validator("schema/compiled/service_list.json");
    let full = validator("schema/compiled/service.json");
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = json_of(&app, &format!("/oruk/services?per_page=3&page={page}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["total_items"], 8, "inactive services are not listed");
        assert_eq!(body["total_pages"], 3);
        assert_eq!(body["first_page"], page == 1);
        assert_eq!(body["last_page"], page == 3);
        for item in body["contents"].as_array().unwrap() {
            assert_valid(&list_item, item, "an item of GET /services");
            assert!(
                item.get("service_at_locations").is_none(),
                "list items carry no nested collections"
            );
            seen.push(item["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen.len(), 8);
    for id in &seen {
        let (status, body) = json_of(&app, &format!("/oruk/services/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&full, &body, "GET /services/{id}");
    }

    let sal_list = validator("schema/compiled/service_at_location_list.json");
    let sal = validator("schema/compiled/service_at_location.json");
    let (_, links) = json_of(&app, "/oruk/service_at_locations?per_page=100").await;
    assert_eq!(links["total_items"], 8);
    for item in links["contents"].as_array().unwrap() {
        assert_valid(&sal_list, item, "an item of GET /service_at_locations");
        let (status, one) = json_of(
            &app,
            &format!(
                "/oruk/service_at_locations/{}",
                item["id"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&sal, &one, "GET /service_at_locations/{id}");
    }

    let taxonomy_schema = validator("schema/taxonomy.json");
    let term_schema = validator("schema/taxonomy_term.json");
    let (_, taxonomies) = json_of(&app, "/oruk/taxonomies").await;
    for item in taxonomies["contents"].as_array().unwrap() {
        assert_valid(&taxonomy_schema, item, "an item of GET /taxonomies");
        let (_, one) = json_of(
            &app,
            &format!("/oruk/taxonomies/{}", item["id"].as_str().unwrap()),
        )
        .await;
        assert_valid(&taxonomy_schema, &one, "GET /taxonomies/{id}");
    }
    let (_, terms) = json_of(&app, "/oruk/taxonomy_terms?per_page=500").await;
    assert!(terms["total_items"].as_u64().unwrap() >= taxonomy::NEEDS.len() as u64);
    for item in terms["contents"].as_array().unwrap() {
        assert_valid(&term_schema, item, "an item of GET /taxonomy_terms");
    }
    let (_, one) = json_of(
        &app,
        &format!("/oruk/taxonomy_terms/{}", taxonomy::need_id("food")),
    )
    .await;
    assert_valid(&term_schema, &one, "GET /taxonomy_terms/{id}");
}

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = json_of(app, &format!("/oruk/services?per_page=100&{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let mut names: Vec<String> = body["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn filters_combine_with_and() {
    let (app, _) = app_with_directory().await;
    // Age overlap, edges included: a service for 5-11 matches a child of 11
    // and one of 5, not one of 12.
    assert_eq!(
        names(&app, "minimum_age=11&maximum_age=11").await,
        ["Service 002", "Service 003", "Service 004", "Service 006"]
    );
    assert_eq!(
        names(&app, "minimum_age=12&maximum_age=12").await,
        [
            "Community Counselling",
            "Service 003",
            "Service 004",
            "Service 006"
        ]
    );
    assert_eq!(
        names(&app, "minimum_age=0&maximum_age=0").await,
        ["Service 001", "Service 004", "Service 006", "Service 007"]
    );
    let food = taxonomy::need_id("food");
    assert_eq!(
        names(&app, &format!("taxonomy_term_id={food}")).await,
        ["Service 002", "Service 003", "Service 006"]
    );
    assert_eq!(
        names(
            &app,
            &format!("taxonomy_term_id={food}&organization_id={ORG_B}")
        )
        .await,
        ["Service 003", "Service 006"]
    );
    assert_eq!(
        names(
            &app,
            &format!("taxonomy_term_id={food}&organization_id={ORG_B}&maximum_age=10")
        )
        .await,
        ["Service 006"]
    );
    assert_eq!(
        names(&app, &format!("taxonomy_id={}", taxonomy::taxonomy_id()))
            .await
            .len(),
        5
    );
    assert_eq!(names(&app, "search=number%205").await, ["Service 005"]);
    assert_eq!(
        names(&app, "modified_after=2099-01-01").await,
        Vec::<String>::new()
    );
    let (_, minimal) = json_of(&app, "/oruk/services?minimal=true&per_page=1").await;
    assert_eq!(minimal["contents"][0].as_object().unwrap().len(), 4);
}

#[tokio::test]
async fn day_time_and_distance_filters() {
    let (app, _) = app_with_directory().await;
    let store = app.store().conn();
    // Give two services opening hours, and the test postcode a place.
    let clock: SharedClock = Arc::new(app.clock.clone());
    let mut morning = service(1, ORG_A, Some(0), Some(4), Some("early-years"));
    morning["schedules"] = json!([{ "id": "20000000-0000-4000-8000-000000000001", "freq": "WEEKLY", "byday": "MO,WE", "opens_at": "09:30:00", "closes_at": "11:30:00" }]);
    let mut evening = service(3, ORG_B, Some(11), Some(18), Some("food"));
    evening["schedules"] = json!([{ "id": "20000000-0000-4000-8000-000000000003", "freq": "WEEKLY", "byday": "FR", "opens_at": "18:00:00", "closes_at": "21:00:00" }]);
    evening["service_at_locations"][0]["location"]["latitude"] = json!(52.6);
    import_services(app.store(), &clock, &[morning, evening], "import:test")
        .await
        .unwrap();
    let place = convene_store::directory::postcodes::PostcodeLocation {
        postcode: convene_domain::directory::postcodes::Postcode::parse("BK1 1AA").unwrap(),
        latitude: 52.5,
        longitude: -1.9,
        lsoa: None,
    };
    convene_store::directory::postcodes::upsert(store, &[place])
        .await
        .unwrap();

    assert_eq!(names(&app, "day=MO").await, ["Service 001"]);
    assert_eq!(
        names(&app, "day=friday").await,
        ["Community Counselling", "Service 003"]
    );
    assert_eq!(names(&app, "start_time=17:00").await, ["Service 003"]);
    assert_eq!(
        names(&app, "end_time=11:30").await,
        ["Service 001"],
        "closing at the limit counts"
    );
    assert_eq!(
        names(&app, "day=MO&start_time=17:00").await,
        Vec::<String>::new(),
        "one opening must meet both"
    );
    // Service 3 is about 6.9 miles (11.1 km) north of BK1 1AA; the others are at it.
    let within = |metres: u32| format!("postcode=BK1+1AA&proximity={metres}");
    assert_eq!(
        names(&app, &within(11_000)).await.len(),
        6,
        "all but service 3 and the example (its coordinates are impossible)"
    );
    assert_eq!(names(&app, &within(12_000)).await.len(), 7);
    // With a postcode, nearest comes first.
    let (_, body) = json_of(
        &app,
        "/oruk/services?postcode=BK1+1AA&proximity=20000&per_page=100",
    )
    .await;
    let last = body["contents"].as_array().unwrap().last().unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(last, "Service 003");
    let list_item = validator("schema/compiled/service_list.json");
    for item in body["contents"].as_array().unwrap() {
        assert_valid(&list_item, item, "an item of a filtered page");
    }
}

#[tokio::test]
async fn a_postcode_keeps_the_services_whose_areas_hold_it() {
    let (app, _) = app_with_directory().await;
    let clock: SharedClock = Arc::new(app.clock.clone());
    // Service 8 serves only a square around BK1 1AA; service 9 only one far away.
    let square = |lat: f64, lon: f64| {
        json!({"type": "Polygon", "coordinates": [[
            [lon - 0.1, lat - 0.1], [lon + 0.1, lat - 0.1], [lon + 0.1, lat + 0.1], [lon - 0.1, lat + 0.1], [lon - 0.1, lat - 0.1]
        ]]})
        .to_string()
    };
    let mut here = service(8, ORG_A, None, None, Some("food"));
    here["service_areas"] = json!([{ "id": "30000000-0000-4000-8000-000000000008", "name": "Brackenbury", "extent": square(52.5, -1.9), "extent_type": "geojson" }]);
    let mut elsewhere = service(9, ORG_A, None, None, Some("food"));
    elsewhere["service_areas"] = json!([{ "id": "30000000-0000-4000-8000-000000000009", "name": "Far away", "extent": square(54.5, -1.9), "extent_type": "geojson" }]);
    import_services(app.store(), &clock, &[here, elsewhere], "import:test")
        .await
        .unwrap();
    let place = convene_store::directory::postcodes::PostcodeLocation {
        postcode: convene_domain::directory::postcodes::Postcode::parse("BK1 1AA").unwrap(),
        latitude: 52.5,
        longitude: -1.9,
        lsoa: None,
    };
    convene_store::directory::postcodes::upsert(app.store().conn(), &[place])
        .await
        .unwrap();
    let found = names(&app, "postcode=BK1+1AA").await;
    assert!(found.contains(&"Service 008".to_string()), "{found:?}");
    assert!(
        !found.contains(&"Service 009".to_string()),
        "its area does not hold BK1 1AA: {found:?}"
    );
    assert!(
        found.contains(&"Service 001".to_string()),
        "a service that names no area is kept"
    );
    // Without a postcode both are listed; words and other filters still AND.
    let food = names(&app, "search=families").await;
    assert!(food.contains(&"Service 009".to_string()));
    let need = taxonomy::need_id("food");
    let both = names(
        &app,
        &format!("search=families&taxonomy_term_id={need}&organization_id={ORG_A}&minimum_age=6&maximum_age=8"),
    )
    .await;
    assert_eq!(both, ["Service 002", "Service 008", "Service 009"]);
}

#[tokio::test]
async fn the_whole_feed_comes_as_ndjson() {
    let (app, _) = app_with_directory().await;
    let reply = app.get("/oruk/services?format=ndjson").await;
    assert_eq!(reply.headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = reply
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    let full = validator("schema/compiled/service.json");
    for line in &lines {
        assert_valid(&full, line, "an NDJSON line");
    }
}

#[tokio::test]
async fn bad_parameters_are_clear_json_errors() {
    let (app, _) = app_with_directory().await;
    for (query, parameter) in [
        ("page=0", "page"),
        ("per_page=100000", "per_page"),
        ("minimum_age=old", "minimum_age"),
        ("minimum_age=10&maximum_age=5", "maximum_age"),
        ("organization_id=nope", "organization_id"),
        ("modified_after=last-week", "modified_after"),
        ("minimal=maybe", "minimal"),
        ("format=xml", "format"),
        ("day=XX", "day"),
        ("start_time=noon", "start_time"),
        ("proximity=500", "postcode"),
        ("postcode=BK1+1AA&proximity=-3", "proximity"),
        ("postcode=12345", "postcode"),
    ] {
        let (status, body) = json_of(&app, &format!("/oruk/services?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(parameter),
            "{query}: {body}"
        );
    }
    let (status, body) = json_of(&app, "/oruk/services/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = json_of(&app, "/oruk/services/00000000-0000-4000-8000-000000000099").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "inactive services are not served"
    );
}

#[tokio::test]
async fn importing_twice_creates_nothing_and_bad_records_are_skipped_whole() {
    let (app, full) = app_with_directory().await;
    let clock: SharedClock = Arc::new(app.clock.clone());
    let again = import_services(
        app.store(),
        &clock,
        std::slice::from_ref(&full),
        "import:test",
    )
    .await
    .unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 1));
    let mut broken = service(50, ORG_A, Some(10), Some(2), None);
    broken["name"] = json!("Broken ages");
    let report = import_services(
        app.store(),
        &clock,
        &[
            broken,
            json!("nonsense"),
            service(51, ORG_A, None, None, None),
        ],
        "import:test",
    )
    .await
    .unwrap();
    assert_eq!(report.created, 1);
    assert_eq!(report.refused.len(), 2);
    assert_eq!(report.refused[0].field, "maximum_age");
    assert_eq!(report.refused[1].record, "#2");
    let (_, body) = json_of(&app, "/oruk/services/00000000-0000-4000-8000-000000000050").await;
    assert_eq!(
        body["error"]["code"], "not_found",
        "nothing of a refused record was kept"
    );
}
