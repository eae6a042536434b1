//! The audit trail through the web: views of personal data are recorded
//! once each, the search is scoped to the searcher's organisations, and the
//! export is itself recorded.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use convene_domain::identity::Role;
use convene_store::audit;

async fn count(app: &TestApp) -> u64 {
    audit::count(app.store().conn()).await.unwrap()
}

#[tokio::test]
async fn each_view_of_personal_data_writes_exactly_one_event() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let (admin, secret) = app
        .account("admin@school.example", school, Role::OrganisationAdmin)
        .await;
    let mut browser = app.browser();
    browser
        .sign_in("admin@school.example", secret.as_deref())
        .await;

    for path in [
        format!("/organisations/{school}/users"),
        "/audit".to_string(),
        "/audit/export.csv".to_string(),
    ] {
        let before = count(&app).await;
        let reply = browser.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(count(&app).await, before + 1, "{path} writes one event");
    }
    let (events, _) = audit::search(app.store().conn(), &Default::default(), 3, 0)
        .await
        .unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["audit_exported", "audit_searched", "record_viewed"]
    );
    assert!(events.iter().all(|e| e.entry.actor_user_id == Some(admin)));
    assert!(
        events
            .iter()
            .all(|e| e.entry.actor_organisation_id == Some(school))
    );
    // Pages without personal data write nothing.
    let before = count(&app).await;
    browser.get("/").await;
    browser.get("/account/password").await;
    assert_eq!(count(&app).await, before);
}

#[tokio::test]
async fn a_safeguarding_lead_searches_only_their_organisations_events() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let clinic = app.organisation("Riverside Clinic").await;
    let (_, school_lead) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let (_, clinic_lead) = app
        .account("dsl@clinic.example", clinic, Role::SafeguardingLead)
        .await;
    let (_, platform) = app
        .account("admin@convene.example", school, Role::PlatformAdmin)
        .await;

    let mut clinic_browser = app.browser();
    clinic_browser
        .sign_in("dsl@clinic.example", clinic_lead.as_deref())
        .await;
    app.next_code_window();
    let mut school_browser = app.browser();
    school_browser
        .sign_in("dsl@school.example", school_lead.as_deref())
        .await;

    let page = school_browser.get("/audit?action=sign_in_succeeded").await;
    assert!(page.body.contains("dsl@school.example"));
    assert!(
        !page.body.contains("dsl@clinic.example"),
        "another organisation's events are not shown"
    );

    app.next_code_window();
    let mut admin_browser = app.browser();
    admin_browser
        .sign_in("admin@convene.example", platform.as_deref())
        .await;
    let page = admin_browser.get("/audit?action=sign_in_succeeded").await;
    assert!(page.body.contains("dsl@school.example") && page.body.contains("dsl@clinic.example"));
}

#[tokio::test]
async fn the_export_is_a_safe_csv_and_bad_filters_change_nothing() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let (_, secret) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let mut browser = app.browser();
    browser
        .sign_in("dsl@school.example", secret.as_deref())
        .await;
    let csv = browser
        .get("/audit/export.csv?action=sign_in_succeeded")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let mut lines = csv.body.lines();
    assert!(lines.next().unwrap().starts_with("seq,id,at,action,actor"));
    assert!(lines.next().unwrap().contains("sign_in_succeeded"));

    let before = count(&app).await;
    let bad = browser.get("/audit?from=yesterday&person=not-an-id").await;
    assert!(bad.body.contains("govuk-error-summary"));
    assert!(bad.body.contains("Enter the first day as a date"));
    assert_eq!(
        count(&app).await,
        before,
        "a search that did not run is not recorded"
    );
    let bad_export = browser.get("/audit/export.csv?to=31/12/2026").await;
    assert_eq!(bad_export.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn formulas_never_reach_a_spreadsheet() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let (dsl, secret) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    // A purpose someone typed, crafted to run in a spreadsheet.
    let entry = convene_domain::audit::AuditEntry::new(
        convene_domain::audit::AuditAction::RecordViewed,
        app.now(),
    )
    .by_user(Some(dsl))
    .because("=HYPERLINK(\"http://evil.example\")");
    audit::record(app.store(), entry).await.unwrap();
    let mut browser = app.browser();
    browser
        .sign_in("dsl@school.example", secret.as_deref())
        .await;
    let csv = browser.get("/audit/export.csv?action=record_viewed").await;
    assert!(csv.body.contains("'=HYPERLINK"), "{}", csv.body);
    assert!(!csv.body.contains(",=HYPERLINK"), "{}", csv.body);
}
