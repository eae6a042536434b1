//! Imports started from the web: a coordinator asks for a feed, the worker
//! imports it, the run's page shows progress and then the results. Only
//! coordinators may; private addresses are refused unless allowed; a
//! stopped run can be tried again.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::TestApp;
use convene_domain::clock::SharedClock;
use convene_domain::directory::imports::ImportStatus;
use convene_domain::identity::Role;
use convene_jobs::import::import_services;
use convene_jobs::import_run::{RunOptions, work_once};
use convene_store::directory::imports;
use serde_json::{Value, json};

fn doc(n: u32, name: &str) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": name,
        "description": "Open to every family in the town",
        "status": "active",
        "organization": { "id": "10000000-0000-4000-8000-000000000001", "name": "Riverside Council", "description": "The council" }
    })
}

/// A Convene instance publishing three services, served on 127.0.0.1.
async fn source_feed() -> (TestApp, String) {
    let source = TestApp::new().await;
    let clock: SharedClock = Arc::new(source.clock.clone());
    let documents = vec![
        doc(1, "Toddler splash sessions"),
        doc(2, "Money advice drop-in"),
        doc(3, "Young carers club"),
    ];
    import_services(source.store(), &clock, &documents, "local-feed")
        .await
        .unwrap();
    let base = source.serve().await;
    (source, format!("{base}/oruk"))
}

async fn coordinator(app: &TestApp) -> common::Browser<'_> {
    let trust = app.organisation("Brackenbury Trust").await;
    let (_, secret) = app
        .account("coordinator@trust.example", trust, Role::Coordinator)
        .await;
    let mut browser = app.browser();
    browser
        .sign_in("coordinator@trust.example", secret.as_deref())
        .await;
    browser
}

fn run_path(location: &str) -> String {
    assert!(location.starts_with("/directory/imports/"), "{location}");
    location.to_string()
}

#[tokio::test]
async fn a_coordinator_imports_a_feed_and_watches_it_finish() {
    let (_source, feed) = source_feed().await;
    let app = TestApp::new()
        .await
        .with_settings(|s| s.import_from_private_addresses = true);
    let mut browser = coordinator(&app).await;

    let form = browser.get("/directory/imports").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Feed address"));
    assert!(form.body.contains("No imports yet."));
    let started = browser
        .post("/directory/imports", &[("address", &format!("{feed}/"))])
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let page = run_path(started.location());

    // Asking again for the same feed while it waits goes to the same run.
    browser.get("/directory/imports").await;
    let again = browser
        .post("/directory/imports", &[("address", &feed)])
        .await;
    assert_eq!(again.location(), page);
    assert_eq!(
        imports::recent(app.store().conn(), 10).await.unwrap().len(),
        1
    );

    let waiting = browser.get(&page).await;
    assert!(
        waiting.body.contains("Waiting to start."),
        "{}",
        waiting.body
    );
    // Without JavaScript a button checks progress; nothing refreshes the
    // page on a timer.
    assert!(waiting.body.contains("Check progress"));
    assert!(!waiting.body.contains("http-equiv=\"refresh\""));
    let progress = browser.get(&format!("{page}/progress")).await;
    let progress: Value = serde_json::from_str(&progress.body).unwrap();
    assert_eq!(
        (progress["active"].as_bool(), progress["percent"].as_u64()),
        (Some(true), Some(0))
    );

    let done = work_once(app.store(), &app.state.clock, &RunOptions::default())
        .await
        .unwrap()
        .expect("the worker takes the run");
    assert_eq!(done.status, ImportStatus::Finished, "{done:?}");

    let finished = browser.get(&page).await;
    assert!(
        finished.body.contains("Finished: 3 created, 0 updated"),
        "{}",
        finished.body
    );
    assert!(!finished.body.contains("Check progress"));
    let progress = browser.get(&format!("{page}/progress")).await;
    let progress: Value = serde_json::from_str(&progress.body).unwrap();
    assert_eq!(
        (progress["active"].as_bool(), progress["percent"].as_u64()),
        (Some(false), Some(100))
    );

    // The imported services are found at once.
    let found = app.get("/find-support?q=splash").await;
    assert!(
        found.body.contains("Toddler splash sessions"),
        "{}",
        found.body
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"directory_import_requested".to_string())
    );
    let list = browser.get("/directory/imports").await;
    assert!(list.body.contains(&feed), "{}", list.body);
}

#[tokio::test]
async fn only_coordinators_may_import() {
    let app = TestApp::new().await;
    let hub = app.organisation("Eastfield Hub").await;
    let (_, secret) = app
        .account("admin@hub.example", hub, Role::OrganisationAdmin)
        .await;
    let mut admin = app.browser();
    admin.sign_in("admin@hub.example", secret.as_deref()).await;
    assert_eq!(
        admin.get("/directory/imports").await.status,
        StatusCode::FORBIDDEN
    );
    admin.get("/directory").await;
    let refused = admin
        .post(
            "/directory/imports",
            &[("address", "https://feed.example/oruk")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        imports::recent(app.store().conn(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Signed out: sent to sign in.
    let anonymous = app.get("/directory/imports").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn bad_and_private_addresses_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let mut browser = coordinator(&app).await;
    for (address, message) in [
        ("", "Enter the address of the feed"),
        ("directory.example", "Enter the address of the feed, like"),
        ("ftp://directory.example/oruk", "must start with https://"),
        (
            "https://user:secret@directory.example/oruk",
            "Leave any user name or password out",
        ),
        (
            "https://directory.example/oruk?page=2",
            "without anything after ? or #",
        ),
        ("http://127.0.0.1:9/oruk", "private network"),
        ("http://[::1]:9/oruk", "private network"),
        ("http://169.254.169.254/latest", "private network"),
        ("http://localhost:9/oruk", "private network"),
    ] {
        browser.get("/directory/imports").await;
        let reply = browser
            .post("/directory/imports", &[("address", address)])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{address}");
        assert!(reply.body.contains(message), "{address}: {}", reply.body);
        assert!(reply.body.contains("There is a problem"));
    }
    assert!(
        imports::recent(app.store().conn(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_stopped_import_can_be_tried_again() {
    // Nothing listens on this port: the run stops at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let feed = format!("http://{}/oruk", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::new()
        .await
        .with_settings(|s| s.import_from_private_addresses = true);
    let mut browser = coordinator(&app).await;
    browser.get("/directory/imports").await;
    let page = run_path(
        browser
            .post("/directory/imports", &[("address", &feed)])
            .await
            .location(),
    );
    let stopped = work_once(app.store(), &app.state.clock, &RunOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stopped.status, ImportStatus::Failed);
    let shown = browser.get(&page).await;
    assert!(shown.body.contains("could not connect"), "{}", shown.body);
    assert!(shown.body.contains("Nothing has changed in the directory."));
    assert!(shown.body.contains("Try again"));

    let retried = browser.post(&format!("{page}/retry"), &[]).await;
    assert_eq!(retried.location(), page);
    let run = imports::get(app.store().conn(), stopped.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, ImportStatus::Queued);
    assert_eq!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "directory_import_requested")
            .count(),
        2
    );
}
