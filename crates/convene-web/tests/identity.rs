//! Signing in and out, sessions, second factors, lockouts, links and tokens,
//! driven through the web layer with a controllable clock.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::{PASSWORD, TestApp};
use convene_domain::identity::Role;
use convene_store::identity::{accounts, credentials};

#[tokio::test]
async fn sign_in_with_a_second_factor_rotates_the_session() {
    let app = TestApp::new().await;
    let school = app.organisation("Northgate Primary").await;
    let (_, secret) = app
        .account("amina@school.example", school, Role::Practitioner)
        .await;
    let secret = secret.unwrap();
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    let reply = browser
        .post(
            "/sign-in",
            &[("email", "Amina@School.example "), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        (reply.status, reply.location()),
        (StatusCode::SEE_OTHER, "/sign-in/second-factor")
    );
    let half = browser.session_cookie().unwrap();
    // Half signed in: nothing but the second-factor page.
    assert_eq!(
        browser.get("/account").await.location(),
        "/sign-in/second-factor"
    );

    browser.get("/sign-in/second-factor").await;
    let code = app.code(&secret);
    let reply = browser
        .post("/sign-in/second-factor", &[("code", &code)])
        .await;
    assert_eq!(reply.location(), "/account");
    let full = browser.session_cookie().unwrap();
    assert_ne!(half, full, "the session id changes when sign-in completes");

    let account = browser.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("amina@school.example"));
    // The half-way session is gone.
    let mut stale = app.browser();
    stale.cookies.insert("convene_session".into(), half);
    assert_eq!(stale.get("/account").await.location(), "/sign-in");
    assert!(
        app.audit_actions()
            .await
            .contains(&"sign_in_succeeded".to_string())
    );
}

#[tokio::test]
async fn failures_say_the_same_thing_whether_or_not_the_account_exists() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    let wrong_password = browser
        .post(
            "/sign-in",
            &[
                ("email", "viewer@school.example"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    let no_account = browser
        .post(
            "/sign-in",
            &[
                ("email", "nobody@school.example"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_password.status, no_account.status);
    assert!(
        wrong_password
            .body
            .contains("Enter a correct email address and password")
    );
    assert!(
        no_account
            .body
            .contains("Enter a correct email address and password")
    );
    assert!(browser.session_cookie().is_none());
    // Password reset answers the same for both too.
    browser.get("/password-reset").await;
    let known = browser
        .post("/password-reset", &[("email", "viewer@school.example")])
        .await;
    let unknown = browser
        .post("/password-reset", &[("email", "nobody@school.example")])
        .await;
    assert_eq!(known.status, unknown.status);
    assert!(known.body.contains("Check your email") && unknown.body.contains("Check your email"));
    assert_eq!(
        app.mailer.sent().len(),
        1,
        "only the real account gets mail"
    );
}

#[tokio::test]
async fn ten_failures_lock_the_account_for_fifteen_minutes() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    for _ in 0..10 {
        let reply = browser
            .post(
                "/sign-in",
                &[
                    ("email", "viewer@school.example"),
                    ("password", "wrong wrong wrong"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is refused, with a time to wait.
    let locked = browser
        .post(
            "/sign-in",
            &[("email", "viewer@school.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = locked.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(locked.body.contains("too many attempts"), "{}", locked.body);
    app.clock.advance(Duration::minutes(14));
    let still = browser
        .post(
            "/sign-in",
            &[("email", "viewer@school.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(1));
    let released = browser
        .post(
            "/sign-in",
            &[("email", "viewer@school.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        (released.status, released.location()),
        (StatusCode::SEE_OTHER, "/account")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"sign_in_throttled".to_string())
    );
}

#[tokio::test]
async fn a_client_address_is_throttled_across_accounts() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    // 30 failures against made-up accounts from one address...
    for n in 0..30 {
        let email = format!("guess{n}@school.example");
        browser
            .post(
                "/sign-in",
                &[("email", &email), ("password", "wrong wrong wrong")],
            )
            .await;
    }
    let reply = browser
        .post(
            "/sign-in",
            &[("email", "guess@school.example"), ("password", "x")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_second_factor_code_works_only_once() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    let (_, secret) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let secret = secret.unwrap();
    let mut first = app.browser();
    first.sign_in("dsl@school.example", Some(&secret)).await;
    // Someone who saw the code tries it within the same 30 seconds.
    let mut second = app.browser();
    second.get("/sign-in").await;
    second
        .post(
            "/sign-in",
            &[("email", "dsl@school.example"), ("password", PASSWORD)],
        )
        .await;
    second.get("/sign-in/second-factor").await;
    let code = app.code(&secret);
    let replay = second
        .post("/sign-in/second-factor", &[("code", &code)])
        .await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.audit_actions()
            .await
            .contains(&"second_factor_failed".to_string())
    );
    app.next_code_window();
    let fresh = app.code(&secret);
    let ok = second
        .post("/sign-in/second-factor", &[("code", &fresh)])
        .await;
    assert_eq!(ok.location(), "/account");
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    let (user, secret) = app
        .account("dsl@school.example", school, Role::SafeguardingLead)
        .await;
    let codes = convene_domain::identity::second_factor::new_recovery_codes().unwrap();
    let hashes: Vec<String> = codes.iter().map(|(_, h)| h.clone()).collect();
    credentials::replace_recovery_codes(app.store().conn(), user, &hashes, app.now())
        .await
        .unwrap();
    let _ = secret;
    for expected in ["/account", ""] {
        let mut browser = app.browser();
        browser.get("/sign-in").await;
        browser
            .post(
                "/sign-in",
                &[("email", "dsl@school.example"), ("password", PASSWORD)],
            )
            .await;
        browser.get("/sign-in/second-factor").await;
        let reply = browser
            .post(
                "/sign-in/second-factor",
                &[("code", ""), ("recovery_code", &codes[0].0.to_uppercase())],
            )
            .await;
        assert_eq!(reply.location(), expected, "{}", reply.status);
    }
}

#[tokio::test]
async fn sessions_end_when_idle_and_after_twelve_hours() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut browser = app.browser();
    browser.sign_in("viewer@school.example", None).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    app.clock.advance(Duration::minutes(30));
    assert_eq!(
        browser.get("/account").await.location(),
        "/sign-in",
        "idle for 30 minutes"
    );

    let mut busy = app.browser();
    busy.sign_in("viewer@school.example", None).await;
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(busy.get("/account").await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(20));
    assert_eq!(
        busy.get("/account").await.location(),
        "/sign-in",
        "12 hours after signing in"
    );
}

#[tokio::test]
async fn activity_is_recorded_once_a_minute_so_idle_sessions_end_at_most_a_minute_early() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut browser = app.browser();
    browser.sign_in("viewer@school.example", None).await;
    // Within a minute of the last recorded activity: not written down...
    app.clock.advance(Duration::seconds(30));
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    // ...so the idle limit counts from the sign-in: over 30 minutes now,
    // though only 29 minutes 45 seconds since that last page.
    app.clock
        .advance(Duration::minutes(29) + Duration::seconds(45));
    assert_eq!(browser.get("/account").await.location(), "/sign-in");
}

#[tokio::test]
async fn sign_out_password_change_and_disable_end_sessions() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    let (admin, admin_secret) = app
        .account("admin@school.example", school, Role::OrganisationAdmin)
        .await;
    let (viewer, _) = app
        .account("viewer@school.example", school, Role::Viewer)
        .await;

    let mut laptop = app.browser();
    laptop.sign_in("viewer@school.example", None).await;
    let mut phone = app.browser();
    phone.sign_in("viewer@school.example", None).await;
    laptop.get("/account/password").await;
    let changed = laptop
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new kettle orbit"),
                ("confirm_password", "a brand new kettle orbit"),
            ],
        )
        .await;
    assert_eq!(changed.location(), "/account", "{}", changed.body);
    assert_eq!(
        laptop.get("/account").await.status,
        StatusCode::OK,
        "this device stays signed in"
    );
    assert_eq!(
        phone.get("/account").await.location(),
        "/sign-in",
        "other devices are signed out"
    );

    let old_cookie = laptop.session_cookie().unwrap();
    laptop.get("/account").await;
    laptop.post("/sign-out", &[]).await;
    let mut replay = app.browser();
    replay.cookies.insert("convene_session".into(), old_cookie);
    assert_eq!(
        replay.get("/account").await.location(),
        "/sign-in",
        "a signed-out session is dead"
    );

    // The viewer signs in again; their admin disables them; the session dies.
    let mut viewer_browser = app.browser();
    viewer_browser.get("/sign-in").await;
    viewer_browser
        .post(
            "/sign-in",
            &[
                ("email", "viewer@school.example"),
                ("password", "a brand new kettle orbit"),
            ],
        )
        .await;
    assert_eq!(viewer_browser.get("/account").await.status, StatusCode::OK);
    let mut admin_browser = app.browser();
    admin_browser
        .sign_in("admin@school.example", admin_secret.as_deref())
        .await;
    admin_browser
        .get(&format!("/organisations/{school}/users"))
        .await;
    let disabled = admin_browser
        .post(
            &format!("/organisations/{school}/users/{viewer}/disable"),
            &[],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
    assert_eq!(viewer_browser.get("/account").await.location(), "/sign-in");
    let _ = admin;
    assert!(
        !accounts::get(app.store().conn(), viewer)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
}

#[tokio::test]
async fn forms_without_their_token_or_from_another_site_are_refused() {
    let app = TestApp::new().await;
    let school = app.organisation("School").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    let no_token = browser
        .post_raw(
            "/sign-in",
            &[("email", "viewer@school.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let wrong = browser
        .post_raw(
            "/sign-in",
            &[
                ("email", "viewer@school.example"),
                ("password", PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(browser.session_cookie().is_none());

    browser.sign_in("viewer@school.example", None).await;
    browser.get("/account").await;
    // A signed-in session's forms need the session's own token.
    let forged = browser
        .post_raw("/sign-out", &[("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let token = browser.csrf.clone().unwrap();
    let cross_site = Request::post("/sign-out")
        .header(
            header::COOKIE,
            format!("convene_session={}", browser.session_cookie().unwrap()),
        )
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf_token={token}")))
        .unwrap();
    assert_eq!(app.send(cross_site).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/account").await.status,
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn cookies_are_host_only_secure_and_http_only_over_https() {
    let app = TestApp::with_base_url("https://convene.example").await;
    let reply = app.get("/sign-in").await;
    let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("__Host-convene_csrf="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
}
