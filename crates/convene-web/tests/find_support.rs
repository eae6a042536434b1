//! The public "Find support" pages: search by words (stemmed), need, age,
//! cost and distance from a postcode; service pages; reporting a problem.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::TestApp;
use convene_domain::clock::SharedClock;
use convene_domain::directory::postcodes::Postcode;
use convene_domain::directory::taxonomy;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_jobs::import::import_services;
use convene_store::directory::postcodes::{self, PostcodeLocation};
use serde_json::{Value, json};

const ORG: &str = "10000000-0000-4000-8000-000000000001";

fn service(
    n: u32,
    name: &str,
    description: &str,
    place: (f64, f64),
    ages: (Option<u16>, Option<u16>),
    cost: f64,
    need: &str,
) -> Value {
    let mut doc = json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": name,
        "description": description,
        "status": "active",
        "organization": { "id": ORG, "name": "Eastfield Hub", "description": "A hub" },
        "cost_options": [{ "id": format!("00000000-0000-4000-d000-{n:012}"), "amount": cost }],
        "service_at_locations": [{
            "id": format!("00000000-0000-4000-9000-{n:012}"),
            "location": { "id": format!("00000000-0000-4000-a000-{n:012}"), "location_type": "physical", "name": "Hub", "latitude": place.0, "longitude": place.1 }
        }],
        "attributes": [{ "id": format!("00000000-0000-4000-c000-{n:012}"), "taxonomy_term": { "id": taxonomy::need_id(need), "name": need, "description": need } }]
    });
    if let Some(min) = ages.0 {
        doc["minimum_age"] = json!(min);
    }
    if let Some(max) = ages.1 {
        doc["maximum_age"] = json!(max);
    }
    doc
}

async fn app() -> TestApp {
    let app = TestApp::new().await;
    // The organisation, with an email for reports.
    let details = OrganisationDetails {
        name: "Eastfield Hub".into(),
        kind: OrganisationKind::Hub,
        email: Some("hello@eastfield-hub.example".into()),
        phone: None,
        website: None,
        address: None,
    };
    convene_store::organisations::insert(
        app.store().conn(),
        ORG.parse().unwrap(),
        &details,
        app.now(),
    )
    .await
    .unwrap();
    let documents = vec![
        service(
            1,
            "Parenting course",
            "Ten weeks for parents of young children",
            (53.100, -1.800),
            (Some(0), Some(11)),
            0.0,
            "parenting",
        ),
        service(
            2,
            "Youth club",
            "Pool, music and sport",
            (53.130, -1.800),
            (Some(11), Some(19)),
            0.5,
            "youth",
        ),
        service(
            3,
            "Food pantry",
            "A weekly shop for a small fee",
            (53.102, -1.800),
            (None, None),
            3.5,
            "food",
        ),
        service(
            4,
            "Community cafe",
            "Free lunches; parents welcome",
            (53.400, -1.800),
            (None, None),
            0.0,
            "food",
        ),
    ];
    let mut documents = documents;
    // The cafe opens weekday lunchtimes; the youth club Monday evenings.
    documents[3]["schedules"] = json!([{ "id": "20000000-0000-4000-8000-000000000004", "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "12:00", "closes_at": "14:00" }]);
    documents[1]["schedules"] = json!([{ "id": "20000000-0000-4000-8000-000000000002", "freq": "WEEKLY", "byday": "MO", "opens_at": "18:00", "closes_at": "21:00" }]);
    let clock: SharedClock = Arc::new(app.clock.clone());
    import_services(app.store(), &clock, &documents, "import:test")
        .await
        .unwrap();
    let here = PostcodeLocation {
        postcode: Postcode::parse("BK3 2EA").unwrap(),
        latitude: 53.100,
        longitude: -1.800,
        lsoa: None,
    };
    postcodes::upsert(app.store().conn(), &[here])
        .await
        .unwrap();
    app
}

/// Result names in the order shown.
fn names(body: &str) -> Vec<String> {
    body.split("<h3 class=\"govuk-heading-s govuk-!-margin-bottom-1\"><a class=\"govuk-link\" href=\"/find-support/services/")
        .skip(1)
        .map(|part| part.split("\">").nth(1).unwrap().split('<').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn words_are_stemmed_and_all_must_match() {
    let app = app().await;
    let reply = app.get("/find-support?q=parent").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(names(&reply.body), ["Parenting course", "Community cafe"]);
    assert_eq!(
        names(&app.get("/find-support?q=parenting+lunches").await.body),
        ["Community cafe"]
    );
    assert!(
        app.get("/find-support?q=zebra")
            .await
            .body
            .contains("0 services found")
    );
}

#[tokio::test]
async fn filters_by_age_cost_need_and_distance() {
    let app = app().await;
    assert_eq!(
        names(&app.get("/find-support?age=12").await.body),
        ["Community cafe", "Food pantry", "Youth club"]
    );
    assert_eq!(
        names(&app.get("/find-support?free=yes").await.body),
        ["Community cafe", "Parenting course"]
    );
    assert_eq!(
        names(&app.get("/find-support?need=food").await.body),
        ["Community cafe", "Food pantry"]
    );
    // Nearest first within the radius; the cafe is about 21 miles away.
    let near = app.get("/find-support?postcode=bk32ea&radius=3").await;
    assert_eq!(
        names(&near.body),
        ["Parenting course", "Food pantry", "Youth club"]
    );
    assert!(near.body.contains("Less than 0.1 miles away"));
    assert!(near.body.contains("2.1 miles away"));
    assert_eq!(
        names(
            &app.get("/find-support?postcode=BK3+2EA&radius=1")
                .await
                .body
        ),
        ["Parenting course", "Food pantry"]
    );
    // Counts beside each need follow the other filters.
    let counted = app.get("/find-support?free=yes").await;
    assert!(counted.body.contains("Food (1)"), "only the free cafe");
    assert!(counted.body.contains("Parenting support (1)"));
}

#[tokio::test]
async fn unknown_or_malformed_postcodes_and_ages_are_clear_errors() {
    let app = app().await;
    let malformed = app.get("/find-support?postcode=12345").await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        malformed
            .body
            .contains("Enter a real postcode, like BK3 2EA")
    );
    let unknown = app.get("/find-support?postcode=ZZ9+9ZZ").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body.contains("We do not know where ZZ9 9ZZ is"));
    let age = app.get("/find-support?age=old").await;
    assert!(age.body.contains("Enter an age in years"));
}

#[tokio::test]
async fn a_service_page_says_what_when_where_and_how() {
    let app = app().await;
    let page = app
        .get("/find-support/services/00000000-0000-4000-8000-000000000003")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Food pantry",
        "Eastfield Hub",
        "A weekly shop for a small fee",
        "Everyone",
        "£3.50",
        "openstreetmap.org",
        "Report a problem with this listing",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert_eq!(
        app.get("/find-support/services/00000000-0000-4000-8000-000000000099")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/find-support/services/nope").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_reported_problem_reaches_the_owner_and_reports_are_limited() {
    let app = app().await;
    let path = "/find-support/services/00000000-0000-4000-8000-000000000003";
    let mut browser = app.browser();
    browser.get(path).await;
    let empty = browser
        .post(&format!("{path}/report"), &[("message", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Enter what is wrong with this listing"));
    assert!(app.mailer.sent().is_empty());
    let sent = browser
        .post(
            &format!("{path}/report"),
            &[("message", "It closed in October")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    let mail = app.mailer.sent().pop().unwrap();
    assert_eq!(mail.to, "hello@eastfield-hub.example");
    assert!(mail.body.contains("It closed in October"));
    for _ in 0..9 {
        browser.get(path).await;
        browser
            .post(&format!("{path}/report"), &[("message", "again")])
            .await;
    }
    browser.get(path).await;
    let limited = browser
        .post(&format!("{path}/report"), &[("message", "and again")])
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn open_now_uses_uk_time() {
    let app = app().await;
    // The test clock starts at 09:00 UTC on Monday 23 November 2026 (GMT).
    assert!(names(&app.get("/find-support?open=now").await.body).is_empty());
    app.clock.advance(chrono::Duration::hours(3));
    assert_eq!(
        names(&app.get("/find-support?open=now").await.body),
        ["Community cafe"]
    );
    app.clock.advance(chrono::Duration::hours(7));
    assert_eq!(
        names(&app.get("/find-support?open=now").await.body),
        ["Youth club"]
    );
    // In summer, UK time is an hour ahead of UTC: 11:30 UTC is 12:30 BST.
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 6, 7, 11, 30, 0).unwrap());
    assert_eq!(
        names(&app.get("/find-support?open=now").await.body),
        ["Community cafe"]
    );
}

#[tokio::test]
async fn delivery_and_language_filters() {
    let app = app().await;
    let clock: SharedClock = Arc::new(app.clock.clone());
    let mut polish = service(
        5,
        "Polish parents group",
        "A group for parents",
        (53.1, -1.8),
        (None, None),
        0.0,
        "parenting",
    );
    polish["languages"] =
        json!([{ "id": "30000000-0000-4000-8000-000000000005", "name": "Polish" }]);
    import_services(app.store(), &clock, &[polish], "import:test")
        .await
        .unwrap();
    let online = "00000000-0000-4000-8000-000000000002".parse().unwrap();
    convene_store::directory::services::set_local_fields(
        app.store().conn(),
        online,
        &["online".to_string()],
        "self",
        uuid::Uuid::nil(),
        app.now(),
    )
    .await
    .unwrap();
    assert_eq!(
        names(&app.get("/find-support?language=polish").await.body),
        ["Polish parents group"]
    );
    assert_eq!(
        names(&app.get("/find-support?delivery=online").await.body),
        ["Youth club"]
    );
    assert_eq!(
        names(&app.get("/find-support?delivery=phone").await.body),
        Vec::<String>::new()
    );
}
