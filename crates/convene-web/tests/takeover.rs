//! Defences against escalation and account takeover: administrators stay
//! within their organisation, new roles bring their second factor at once,
//! links die when a password is set, and unknown names lock like known ones.

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, TestApp};
use convene_domain::identity::Role;
use convene_store::identity::accounts;

#[tokio::test]
async fn an_organisation_admin_cannot_reach_beyond_their_organisation() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let clinic = app.organisation("Riverside Clinic").await;
    let (_, admin_secret) = app
        .account("admin@school.example", school, Role::OrganisationAdmin)
        .await;
    let (platform, _) = app
        .account("platform@convene.example", school, Role::PlatformAdmin)
        .await;
    let (coordinator, _) = app
        .account("coordinator@school.example", school, Role::Coordinator)
        .await;
    let (nurse, _) = app
        .account("nurse@clinic.example", clinic, Role::Practitioner)
        .await;

    let mut admin = app.browser();
    admin
        .sign_in("admin@school.example", admin_secret.as_deref())
        .await;
    admin
        .get(&format!("/organisations/{school}/users/invite"))
        .await;
    // Pulling another organisation's person in is refused, and writes nothing.
    let pulled = admin
        .post(
            &format!("/organisations/{school}/users/invite"),
            &[
                ("email", "nurse@clinic.example"),
                ("display_name", "Nurse"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(pulled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        pulled
            .body
            .contains("already has an account with another organisation")
    );
    assert_eq!(
        accounts::memberships(app.store().conn(), nurse)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(app.mailer.sent().is_empty());

    // Nor can they demote or disable those above them.
    for target in [platform, coordinator] {
        admin.get(&format!("/organisations/{school}/users")).await;
        let demote = admin
            .post(
                &format!("/organisations/{school}/users/{target}/role"),
                &[("role", "viewer")],
            )
            .await;
        assert_eq!(demote.status, StatusCode::BAD_REQUEST, "{}", demote.body);
        let disable = admin
            .post(
                &format!("/organisations/{school}/users/{target}/disable"),
                &[],
            )
            .await;
        assert_eq!(disable.status, StatusCode::BAD_REQUEST);
    }
    let roles: Vec<_> = accounts::memberships(app.store().conn(), platform)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(roles, [Role::PlatformAdmin]);
    assert!(
        accounts::get(app.store().conn(), coordinator)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
}

#[tokio::test]
async fn a_new_role_that_needs_a_second_factor_applies_at_once() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let (analyst, _) = app
        .account("analyst@school.example", school, Role::Analyst)
        .await;
    let mut browser = app.browser();
    browser.sign_in("analyst@school.example", None).await;
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    // Given practitioner rights directly in the database, without ending
    // the session: the very next page asks for a second factor.
    let clinic = app.organisation("Clinic").await;
    accounts::set_role(
        app.store().conn(),
        analyst,
        clinic,
        Role::Practitioner,
        app.now(),
    )
    .await
    .unwrap();
    assert_eq!(
        browser.get("/account").await.location(),
        "/account/second-factor"
    );
}

#[tokio::test]
async fn setting_a_password_ends_every_other_link() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut browser = app.browser();
    for _ in 0..2 {
        browser.get("/password-reset").await;
        browser
            .post("/password-reset", &[("email", "viewer@school.example")])
            .await;
    }
    let links: Vec<String> = app
        .mailer
        .sent()
        .iter()
        .map(|m| {
            let line = m
                .body
                .lines()
                .find(|l| l.contains("/password-reset/"))
                .unwrap()
                .trim()
                .to_string();
            line[line.find("/password-reset/").unwrap()..].to_string()
        })
        .collect();
    browser.get(&links[1]).await;
    let done = browser
        .post(
            &links[1],
            &[
                ("new_password", "fresh kettle orbit meadow"),
                ("confirm_password", "fresh kettle orbit meadow"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/sign-in?done=password-reset");
    assert_eq!(
        app.browser().get(&links[0]).await.status,
        StatusCode::NOT_FOUND,
        "the older link died with the change"
    );
}

#[tokio::test]
async fn unknown_names_lock_exactly_like_known_ones() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    for _ in 0..10 {
        let reply = browser
            .post(
                "/sign-in",
                &[
                    ("email", "nobody@school.example"),
                    ("password", "wrong wrong wrong"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let eleventh = browser
        .post(
            "/sign-in",
            &[("email", "nobody@school.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn replacing_the_second_factor_needs_the_password() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    let (_, secret) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let mut browser = app.browser();
    browser
        .sign_in("dsl@school.example", secret.as_deref())
        .await;
    let page = browser.get("/account/second-factor").await;
    assert!(page.body.contains("current_password"));
    let new_secret = page
        .body
        .split(r#"name="secret" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let decoded = convene_domain::identity::second_factor::secret_from_base32(&new_secret).unwrap();
    let code = app.code(&decoded);
    let refused = browser
        .post(
            "/account/second-factor",
            &[
                ("secret", &new_secret),
                ("code", &code),
                ("current_password", "not it at all"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let before = accounts::find_by_email(app.store().conn(), "dsl@school.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.totp_secret, secret, "unchanged");
    let accepted = browser
        .post(
            "/account/second-factor",
            &[
                ("secret", &new_secret),
                ("code", &code),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);
    let after = accounts::find_by_email(app.store().conn(), "dsl@school.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.totp_secret, Some(decoded));
}

#[tokio::test]
async fn events_done_for_one_organisation_stay_with_it() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let clinic = app.organisation("Riverside Clinic").await;
    // One person administers both organisations.
    let (both, secret) = app
        .account("admin@both.example", school, Role::OrganisationAdmin)
        .await;
    accounts::set_role(
        app.store().conn(),
        both,
        clinic,
        Role::OrganisationAdmin,
        app.now(),
    )
    .await
    .unwrap();
    let (_, school_dsl) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let mut admin = app.browser();
    admin.sign_in("admin@both.example", secret.as_deref()).await;
    admin.get(&format!("/organisations/{clinic}/users")).await;

    app.next_code_window();
    let mut dsl = app.browser();
    dsl.sign_in("dsl@school.example", school_dsl.as_deref())
        .await;
    let page = dsl.get("/audit?action=record_viewed").await;
    assert!(
        !page.body.contains("organisation_users"),
        "the clinic's page view is the clinic's business"
    );
    let signed_in = dsl.get("/audit?action=sign_in_succeeded").await;
    assert!(
        signed_in.body.contains("admin@both.example"),
        "a member's own sign-ins are visible"
    );
}
