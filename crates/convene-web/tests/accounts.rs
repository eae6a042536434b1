//! Invitations, password resets, API tokens and the account page, driven
//! through the web layer with a controllable clock.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::{PASSWORD, TestApp};
use convene_domain::identity::tokens::hash_secret;
use convene_domain::identity::{Role, Scope};
use convene_store::identity::{accounts, credentials};

#[tokio::test]
async fn an_invitation_sets_a_password_then_a_second_factor() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let (_, admin_secret) = app
        .account("admin@school.example", school, Role::OrganisationAdmin)
        .await;
    let mut admin = app.browser();
    admin
        .sign_in("admin@school.example", admin_secret.as_deref())
        .await;
    admin
        .get(&format!("/organisations/{school}/users/invite"))
        .await;
    let bad = admin
        .post(
            &format!("/organisations/{school}/users/invite"),
            &[
                ("email", "nope"),
                ("display_name", ""),
                ("role", "platform_admin"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("govuk-error-summary"));
    // An empty form (no role chosen at all) is a form error, not a crash.
    let empty = admin
        .post(&format!("/organisations/{school}/users/invite"), &[])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Select a role"));
    assert!(
        accounts::find_by_email(app.store().conn(), "nope")
            .await
            .unwrap()
            .is_none(),
        "nothing was written"
    );
    let sent = admin
        .post(
            &format!("/organisations/{school}/users/invite"),
            &[
                ("email", "New.Person@School.example"),
                ("display_name", "New Person"),
                ("role", "practitioner"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let mail = app.mailer.sent().pop().unwrap();
    assert_eq!(mail.to, "new.person@school.example");
    let link = mail
        .body
        .lines()
        .find(|l| l.contains("/invitations/"))
        .unwrap()
        .trim()
        .to_string();
    let path = &link[link.find("/invitations/").unwrap()..];

    let mut newcomer = app.browser();
    assert!(
        newcomer
            .get(path)
            .await
            .body
            .contains("Create your password")
    );
    let weak = newcomer
        .post(
            path,
            &[
                ("new_password", "password1234"),
                ("confirm_password", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("too easy to guess"));
    let accepted = newcomer
        .post(
            path,
            &[("new_password", PASSWORD), ("confirm_password", PASSWORD)],
        )
        .await;
    assert_eq!(accepted.location(), "/account/second-factor");
    // A practitioner must set up a second factor before anything else.
    assert_eq!(
        newcomer.get("/account").await.location(),
        "/account/second-factor"
    );
    let enrol = newcomer.get("/account/second-factor").await;
    let secret_text = enrol
        .body
        .split(r#"name="secret" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let secret = convene_domain::identity::second_factor::secret_from_base32(&secret_text).unwrap();
    let code = app.code(&secret);
    let done = newcomer
        .post(
            "/account/second-factor",
            &[("secret", &secret_text), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Save your recovery codes"));
    assert!(done.body.matches("<li>").count() >= 10);
    assert_eq!(newcomer.get("/account").await.status, StatusCode::OK);
    // The link worked once.
    let again = app.browser().get(path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.body.contains("This link has expired"));
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_expires() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut signed_in = app.browser();
    signed_in.sign_in("viewer@school.example", None).await;

    let mut browser = app.browser();
    browser.get("/password-reset").await;
    browser
        .post("/password-reset", &[("email", "viewer@school.example")])
        .await;
    let mail = app.mailer.sent().pop().unwrap();
    let link = mail
        .body
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .unwrap()
        .trim()
        .to_string();
    let path = link[link.find("/password-reset/").unwrap()..].to_string();
    assert!(!mail.body.contains(PASSWORD));

    browser.get(&path).await;
    let reply = browser
        .post(
            &path,
            &[
                ("new_password", "reset kettle orbit meadow"),
                ("confirm_password", "reset kettle orbit meadow"),
            ],
        )
        .await;
    assert_eq!(reply.location(), "/sign-in?done=password-reset");
    assert_eq!(
        signed_in.get("/account").await.location(),
        "/sign-in",
        "a reset ends every session"
    );
    assert_eq!(
        app.browser().get(&path).await.status,
        StatusCode::NOT_FOUND,
        "used once"
    );

    // A second link, used too late.
    browser.get("/password-reset").await;
    browser
        .post("/password-reset", &[("email", "viewer@school.example")])
        .await;
    let mail = app.mailer.sent().pop().unwrap();
    let link = mail
        .body
        .lines()
        .find(|l| l.contains("/password-reset/"))
        .unwrap()
        .trim()
        .to_string();
    let path = link[link.find("/password-reset/").unwrap()..].to_string();
    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.browser().get(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_tokens_are_scoped_expiring_and_revocable() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    let (user, _) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let token = "cvn_test_token_value";
    let stored = credentials::create_token(
        app.store().conn(),
        user,
        "reports",
        &hash_secret(token),
        &[Scope::Account],
        app.now() + Duration::days(1),
        app.now(),
    )
    .await
    .unwrap();
    let call = |path: &str, bearer: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
            .body(Body::empty())
            .unwrap()
    };
    let me = app.send(call("/api/v1/me", token)).await;
    assert_eq!(me.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(json["email"], "dsl@school.example");
    assert_eq!(json["memberships"][0]["role"], "safeguarding_lead");

    let out_of_scope = app.send(call("/api/v1/audit", token)).await;
    assert_eq!(out_of_scope.status, StatusCode::FORBIDDEN);
    let wrong = app.send(call("/api/v1/me", "cvn_wrong")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains(r#""code":"unauthorised""#));
    let none = app.get("/api/v1/me").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);

    credentials::revoke_token(app.store().conn(), user, stored.id, app.now())
        .await
        .unwrap();
    assert_eq!(
        app.send(call("/api/v1/me", token)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let audit_token = "cvn_audit_token";
    credentials::create_token(
        app.store().conn(),
        user,
        "audit",
        &hash_secret(audit_token),
        &[Scope::AuditRead],
        app.now() + Duration::days(1),
        app.now(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.send(call("/api/v1/audit", audit_token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::days(2));
    assert_eq!(
        app.send(call("/api/v1/audit", audit_token)).await.status,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
}

#[tokio::test]
async fn the_account_page_revokes_tokens_and_other_sessions() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    let (user, _) = app
        .account("viewer@school.example", school, Role::Viewer)
        .await;
    let stored = credentials::create_token(
        app.store().conn(),
        user,
        "reports",
        &hash_secret("cvn_x"),
        &[Scope::Account],
        app.now() + Duration::days(1),
        app.now(),
    )
    .await
    .unwrap();
    let mut other = app.browser();
    other.sign_in("viewer@school.example", None).await;
    let mut browser = app.browser();
    browser.sign_in("viewer@school.example", None).await;
    let page = browser.get("/account").await;
    assert!(page.body.contains("reports"));
    let revoked = browser
        .post(&format!("/account/tokens/{}/revoke", stored.id), &[])
        .await;
    assert_eq!(revoked.location(), "/account");
    assert!(
        !credentials::find_token(app.store().conn(), &hash_secret("cvn_x"))
            .await
            .unwrap()
            .unwrap()
            .is_usable(app.now())
    );
    let sessions = convene_store::identity::sessions::list_for_user(app.store().conn(), user)
        .await
        .unwrap();
    let mine = convene_store::identity::sessions::find_by_token_hash(
        app.store().conn(),
        &hash_secret(&browser.session_cookie().unwrap()),
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let other_id = sessions
        .iter()
        .map(|s| s.id)
        .find(|id| *id != mine)
        .unwrap();
    browser.get("/account").await;
    let ended = browser
        .post(&format!("/account/sessions/{other_id}/end"), &[])
        .await;
    assert_eq!(ended.location(), "/account");
    assert_eq!(other.get("/account").await.location(), "/sign-in");
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
}
