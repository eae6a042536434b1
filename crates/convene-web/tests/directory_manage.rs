//! Managing listings: organisation administrators propose, coordinators
//! publish and approve, every change is a version, other organisations'
//! services are out of reach.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use convene_domain::identity::Role;
use convene_store::directory::{services, versions};

fn listing(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_string()),
        ("description", "Play sessions for under-fives".into()),
        ("status", "active".into()),
        ("needs", "early-years".into()),
        ("needs", "parenting".into()),
        ("minimum_age", "0".into()),
        ("maximum_age", "4".into()),
        ("days", "MO".into()),
        ("days", "WE".into()),
        ("opens_at", "09:30".into()),
        ("closes_at", "11:30".into()),
        ("place_name", "Eastfield Hub".into()),
        ("postcode", "BK3 2EA".into()),
        ("delivery", "in_person".into()),
        ("who_can_refer", "self".into()),
    ]
}

async fn post(
    browser: &mut common::Browser<'_>,
    page: &str,
    path: &str,
    fields: &[(&str, String)],
) -> common::Reply {
    browser.get(page).await;
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(path, &borrowed).await
}

#[tokio::test]
async fn an_administrators_change_waits_for_a_coordinator() {
    let app = TestApp::new().await;
    let hub = app.organisation("Eastfield Hub").await;
    let trust = app.organisation("Brackenbury Trust").await;
    let (_, admin_secret) = app
        .account("admin@hub.example", hub, Role::OrganisationAdmin)
        .await;
    let (_, coordinator_secret) = app
        .account("coordinator@trust.example", trust, Role::Coordinator)
        .await;

    let mut admin = app.browser();
    admin
        .sign_in("admin@hub.example", admin_secret.as_deref())
        .await;
    let new_page = format!("/directory/services/new?organisation={hub}");
    // Mistakes are named and nothing is saved.
    let bad = post(&mut admin, &new_page, &new_page, &[("name", String::new())]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Select at least one type of help"));
    assert!(
        versions::pending(app.store().conn())
            .await
            .unwrap()
            .is_empty()
    );

    let sent = post(&mut admin, &new_page, &new_page, &listing("Stay and play")).await;
    assert_eq!(sent.location(), "/directory?done=proposed", "{}", sent.body);
    let pending = versions::pending(app.store().conn()).await.unwrap();
    assert_eq!(pending.len(), 1);
    let service_id = pending[0].service_id;
    assert!(
        services::document(app.store().conn(), service_id)
            .await
            .unwrap()
            .is_none(),
        "not public until approved"
    );
    assert_eq!(
        app.get(&format!("/oruk/services/{service_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    app.next_code_window();
    let mut coordinator = app.browser();
    coordinator
        .sign_in("coordinator@trust.example", coordinator_secret.as_deref())
        .await;
    let waiting = coordinator.get("/directory/approvals").await;
    assert!(waiting.body.contains("Stay and play"));
    let approved = coordinator
        .post(
            &format!("/directory/approvals/{}/approve", pending[0].id),
            &[],
        )
        .await;
    assert_eq!(approved.location(), "/directory?done=decided");
    let again = coordinator
        .post(
            &format!("/directory/approvals/{}/approve", pending[0].id),
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "decided once only");

    let public = app.get(&format!("/oruk/services/{service_id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("Stay and play"));
    assert!(
        app.get("/find-support?q=stay")
            .await
            .body
            .contains("Stay and play")
    );
    let row = services::row(app.store().conn(), service_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.delivery_modes, ["in_person"]);
    assert!(row.last_reviewed_at.is_some());

    // The administrator changes it; the coordinator rejects; it stays as it was.
    let edit = format!("/directory/services/{service_id}/edit");
    let form_page = admin.get(&edit).await;
    assert!(
        form_page.body.contains("value=\"Stay and play\""),
        "the form is filled in"
    );
    let renamed = post(
        &mut admin,
        &edit,
        &edit,
        &listing("Stay and play (new name)"),
    )
    .await;
    assert_eq!(renamed.location(), "/directory?done=proposed");
    let change = versions::pending(app.store().conn())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(change.changed_fields, ["name"]);
    coordinator.get("/directory/approvals").await;
    coordinator
        .post(&format!("/directory/approvals/{}/reject", change.id), &[])
        .await;
    assert_eq!(
        services::document(app.store().conn(), service_id)
            .await
            .unwrap()
            .unwrap()["name"],
        "Stay and play"
    );

    let history = admin
        .get(&format!("/directory/services/{service_id}/history"))
        .await;
    assert!(
        history.body.contains("Published") && history.body.contains("Not approved"),
        "{}",
        history.body
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| a.starts_with("service_change"))
            .count()
            >= 4
    );
}

#[tokio::test]
async fn coordinators_publish_directly_and_administrators_stay_in_their_lane() {
    let app = TestApp::new().await;
    let hub = app.organisation("Eastfield Hub").await;
    let clinic = app.organisation("Riverside Clinic").await;
    let trust = app.organisation("Brackenbury Trust").await;
    let (_, coordinator_secret) = app
        .account("coordinator@trust.example", trust, Role::Coordinator)
        .await;
    let (_, admin_secret) = app
        .account("admin@hub.example", hub, Role::OrganisationAdmin)
        .await;

    let mut coordinator = app.browser();
    coordinator
        .sign_in("coordinator@trust.example", coordinator_secret.as_deref())
        .await;
    let new_page = format!("/directory/services/new?organisation={clinic}");
    let published = post(
        &mut coordinator,
        &new_page,
        &new_page,
        &listing("Clinic drop-in"),
    )
    .await;
    assert_eq!(published.location(), "/directory?done=published");
    let rows = services::rows(app.store().conn(), None).await.unwrap();
    let clinic_service = rows.iter().find(|r| r.name == "Clinic drop-in").unwrap().id;

    app.next_code_window();
    let mut admin = app.browser();
    admin
        .sign_in("admin@hub.example", admin_secret.as_deref())
        .await;
    let list = admin.get("/directory").await;
    assert!(
        !list.body.contains("Clinic drop-in"),
        "only their own organisation's listings"
    );
    assert_eq!(
        admin
            .get(&format!("/directory/services/{clinic_service}/edit"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let forged = post(
        &mut admin,
        "/directory",
        &format!("/directory/services/{clinic_service}/edit"),
        &listing("Hijacked"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let elsewhere = format!("/directory/services/new?organisation={clinic}");
    assert_eq!(admin.get(&elsewhere).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        services::document(app.store().conn(), clinic_service)
            .await
            .unwrap()
            .unwrap()["name"],
        "Clinic drop-in"
    );
}

#[tokio::test]
async fn likely_duplicates_are_suggested() {
    let app = TestApp::new().await;
    let hub = app.organisation("Eastfield Hub").await;
    let (_, secret) = app
        .account("coordinator@hub.example", hub, Role::Coordinator)
        .await;
    let mut coordinator = app.browser();
    coordinator
        .sign_in("coordinator@hub.example", secret.as_deref())
        .await;
    let new_page = format!("/directory/services/new?organisation={hub}");
    for name in ["Stay and play", "Stay and play (Mondays)", "Youth club"] {
        post(&mut coordinator, &new_page, &new_page, &listing(name)).await;
    }
    let page = coordinator.get("/directory").await;
    assert!(page.body.contains("Possible duplicates"));
    assert!(page.body.contains("very similar names at one organisation"));
    let section = page.body.split("Possible duplicates").nth(1).unwrap();
    assert!(
        !section
            .split("</ul>")
            .next()
            .unwrap()
            .contains("Youth club")
    );
}

#[tokio::test]
async fn the_json_api_follows_the_same_rules() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use convene_domain::identity::Scope;
    use convene_domain::identity::tokens::hash_secret;
    use convene_store::identity::credentials;

    let app = TestApp::new().await;
    let hub = app.organisation("Eastfield Hub").await;
    let clinic = app.organisation("Riverside Clinic").await;
    let (admin, _) = app
        .account("admin@hub.example", hub, Role::OrganisationAdmin)
        .await;
    let (coordinator, _) = app
        .account("coordinator@hub.example", clinic, Role::Coordinator)
        .await;
    let later = app.now() + chrono::Duration::days(1);
    for (user, token, scopes) in [
        (admin, "cvn_admin", vec![Scope::Directory]),
        (coordinator, "cvn_coordinator", vec![Scope::Directory]),
        (admin, "cvn_account_only", vec![Scope::Account]),
    ] {
        credentials::create_token(
            app.store().conn(),
            user,
            "t",
            &hash_secret(token),
            &scopes,
            later,
            app.now(),
        )
        .await
        .unwrap();
    }
    let call = |method: &str, path: &str, token: &str, body: Option<serde_json::Value>| {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        request
            .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
            .unwrap()
    };
    let listing = serde_json::json!({
        "name": "Stay and play", "description": "Play for under-fives", "needs": ["early-years"],
        "delivery": ["in_person"], "who_can_refer": "self", "postcode": "BK3 2EA"
    });
    let proposed = app
        .send(call(
            "POST",
            &format!("/api/v1/services?organisation_id={hub}"),
            "cvn_admin",
            Some(listing.clone()),
        ))
        .await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{}", proposed.body);
    let json: serde_json::Value = serde_json::from_str(&proposed.body).unwrap();
    assert_eq!(json["state"], "pending_approval");

    let published = app
        .send(call(
            "POST",
            &format!("/api/v1/services?organisation_id={clinic}"),
            "cvn_coordinator",
            Some(listing.clone()),
        ))
        .await;
    let id = serde_json::from_str::<serde_json::Value>(&published.body).unwrap()["service_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&published.body).unwrap()["state"],
        "published"
    );
    assert_eq!(
        app.get(&format!("/oruk/services/{id}")).await.status,
        StatusCode::OK
    );

    let mut bad = listing.clone();
    bad["needs"] = serde_json::json!([]);
    let invalid = app
        .send(call(
            "POST",
            &format!("/api/v1/services?organisation_id={hub}"),
            "cvn_admin",
            Some(bad),
        ))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        invalid.body.contains("validation_failed") && invalid.body.contains("needs"),
        "{}",
        invalid.body
    );

    let elsewhere = app
        .send(call(
            "PUT",
            &format!("/api/v1/services/{id}"),
            "cvn_admin",
            Some(listing.clone()),
        ))
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "another organisation's listing"
    );
    let out_of_scope = app
        .send(call("GET", "/api/v1/services", "cvn_account_only", None))
        .await;
    assert_eq!(out_of_scope.status, StatusCode::FORBIDDEN);
    let listed = app
        .send(call("GET", "/api/v1/services", "cvn_coordinator", None))
        .await;
    assert!(listed.body.contains(&id));
    let mut renamed = listing;
    renamed["name"] = serde_json::json!("Stay and play (Mondays)");
    let changed = app
        .send(call(
            "PUT",
            &format!("/api/v1/services/{id}"),
            "cvn_coordinator",
            Some(renamed),
        ))
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let one = app
        .send(call(
            "GET",
            &format!("/api/v1/services/{id}"),
            "cvn_coordinator",
            None,
        ))
        .await;
    assert!(one.body.contains("Stay and play (Mondays)"));
}

#[tokio::test]
async fn a_stale_change_is_never_approved_over_newer_edits() {
    let app = TestApp::new().await;
    let hub = app.organisation("Eastfield Hub").await;
    let trust = app.organisation("Brackenbury Trust").await;
    let (_, admin_secret) = app
        .account("admin@hub.example", hub, Role::OrganisationAdmin)
        .await;
    let (_, coordinator_secret) = app
        .account("coordinator@trust.example", trust, Role::Coordinator)
        .await;
    let mut coordinator = app.browser();
    coordinator
        .sign_in("coordinator@trust.example", coordinator_secret.as_deref())
        .await;
    let new_page = format!("/directory/services/new?organisation={hub}");
    post(
        &mut coordinator,
        &new_page,
        &new_page,
        &listing("Stay and play"),
    )
    .await;
    let id = services::rows(app.store().conn(), None).await.unwrap()[0].id;
    let edit = format!("/directory/services/{id}/edit");

    app.next_code_window();
    let mut admin = app.browser();
    admin
        .sign_in("admin@hub.example", admin_secret.as_deref())
        .await;
    post(&mut admin, &edit, &edit, &listing("Proposed name")).await;
    // Meanwhile the coordinator changes the listing directly.
    post(
        &mut coordinator,
        &edit,
        &edit,
        &listing("Coordinator's name"),
    )
    .await;
    let pending = versions::pending(app.store().conn())
        .await
        .unwrap()
        .remove(0);
    coordinator.get("/directory/approvals").await;
    let refused = coordinator
        .post(&format!("/directory/approvals/{}/approve", pending.id), &[])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("has changed since"));
    assert_eq!(
        services::document(app.store().conn(), id)
            .await
            .unwrap()
            .unwrap()["name"],
        "Coordinator's name"
    );
}
