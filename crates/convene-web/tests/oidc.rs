//! OpenID Connect sign-in against a real provider (the `oidc-provider` npm
//! package, run locally), including a tampered `state` and `nonce`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use axum::http::StatusCode;
use common::TestApp;
use convene_domain::clock::{Clock, SystemClock};
use convene_domain::identity::Role;
use convene_store::identity::oidc::{self, OidcSettings};

struct ProviderProcess {
    child: Child,
    issuer: String,
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider(redirect_uri: &str, accounts: &str) -> ProviderProcess {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
    // Tests run in parallel threads: one installs, the others wait for it
    // (two `npm ci` at once in one folder break each other on a fresh
    // machine).
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        if !dir.join("node_modules/oidc-provider").exists() {
            let status = Command::new("npm")
                .current_dir(&dir)
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .status()
                .expect("run npm (Node.js and npm are needed for the OIDC tests)");
            assert!(status.success(), "npm ci in tests/oidc failed");
        }
    });
    let mut child = Command::new("node")
        .current_dir(&dir)
        .arg("provider.mjs")
        .env("REDIRECT_URI", redirect_uri)
        .env("ACCOUNTS", accounts)
        .env("NODE_ENV", "test")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the OIDC provider");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let issuer = line
        .trim()
        .strip_prefix("issuer ")
        .expect("the provider prints its issuer")
        .to_string();
    // Keep reading, so the provider never writes into a closed pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    ProviderProcess { child, issuer }
}

/// Plays the person's browser at the provider: follows its redirects and
/// submits its development login and consent forms, until the provider
/// sends them back to Convene. Returns that callback URL.
async fn log_in_at_provider(authorize_url: &str, account_id: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut next = authorize_url.to_string();
    let mut response = browser.get(&next).send().await.unwrap();
    for _ in 0..20 {
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_string();
            next = reqwest::Url::parse(&next)
                .unwrap()
                .join(&location)
                .unwrap()
                .to_string();
            if next.contains("/sign-in/oidc/callback") {
                return next;
            }
            response = browser.get(&next).send().await.unwrap();
            continue;
        }
        let page = response.text().await.unwrap();
        let action = page
            .split("action=\"")
            .nth(1)
            .expect("a form at the provider")
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let target = reqwest::Url::parse(&next)
            .unwrap()
            .join(&action)
            .unwrap()
            .to_string();
        let fields: Vec<(&str, &str)> = if page.contains("name=\"login\"") {
            vec![
                ("prompt", "login"),
                ("login", account_id),
                ("password", "anything"),
            ]
        } else {
            vec![("prompt", "consent")]
        };
        response = browser.post(&target).form(&fields).send().await.unwrap();
        next = target;
    }
    panic!("the provider never sent the person back");
}

async fn setup() -> (TestApp, ProviderProcess, uuid::Uuid) {
    let app = TestApp::new().await;
    // ID tokens carry real times, so this test's clock is the real one.
    app.clock.set(SystemClock.now());
    let school = app.organisation("Northgate Primary").await;
    app.account("viewer@school.example", school, Role::Viewer)
        .await;
    let accounts = r#"{
        "viewer": { "email": "Viewer@School.example", "email_verified": true },
        "unverified": { "email": "viewer@school.example", "email_verified": false },
        "stranger": { "email": "stranger@school.example", "email_verified": true }
    }"#;
    let provider = start_provider("http://127.0.0.1:8080/sign-in/oidc/callback", accounts);
    let settings = OidcSettings {
        organisation_id: school,
        issuer_url: provider.issuer.clone(),
        client_id: "convene".into(),
        client_secret: "convene-test-secret".into(),
    };
    oidc::set(app.store().conn(), &settings, app.now())
        .await
        .unwrap();
    (app, provider, school)
}

async fn begin(browser: &mut common::Browser<'_>, school: uuid::Uuid) -> String {
    let page = browser.get("/sign-in").await;
    assert!(
        page.body
            .contains("Sign in with your Northgate Primary account")
    );
    let started = browser.post(&format!("/sign-in/oidc/{school}"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let url = started.location().to_string();
    for part in [
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "scope=openid+email",
    ] {
        assert!(url.contains(part), "{part} missing from {url}");
    }
    url
}

fn path_of(url: &str) -> String {
    let parsed = reqwest::Url::parse(url).unwrap();
    format!("{}?{}", parsed.path(), parsed.query().unwrap_or(""))
}

#[tokio::test]
async fn a_verified_email_signs_in_to_its_account() {
    let (app, _provider, school) = setup().await;
    let mut browser = app.browser();
    let authorize = begin(&mut browser, school).await;
    let back = log_in_at_provider(&authorize, "viewer").await;
    let reply = browser.get(&path_of(&back)).await;
    assert_eq!(
        (reply.status, reply.location()),
        (StatusCode::SEE_OTHER, "/account"),
        "{}",
        reply.body
    );
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    // The same callback cannot be replayed.
    let mut replay = app.browser();
    assert_eq!(
        replay.get(&path_of(&back)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_tampered_state_is_refused() {
    let (app, _provider, school) = setup().await;
    let mut browser = app.browser();
    let authorize = begin(&mut browser, school).await;
    let back = log_in_at_provider(&authorize, "viewer").await;
    let mut url = reqwest::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let value = if k == "state" {
                format!("{v}x")
            } else {
                v.into_owned()
            };
            (k.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let reply = browser.get(&path_of(url.as_str())).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(browser.session_cookie().is_none());
    assert!(
        app.audit_actions()
            .await
            .contains(&"sign_in_failed".to_string())
    );
}

#[tokio::test]
async fn a_tampered_nonce_is_refused() {
    let (app, _provider, school) = setup().await;
    let mut browser = app.browser();
    let authorize = begin(&mut browser, school).await;
    // Someone swaps the nonce on the way to the provider: the ID token then
    // carries a nonce Convene did not issue.
    let mut url = reqwest::Url::parse(&authorize).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let value = if k == "nonce" {
                "attacker-chosen-nonce".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let back = log_in_at_provider(url.as_str(), "viewer").await;
    let reply = browser.get(&path_of(&back)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert!(browser.session_cookie().is_none());
    let (events, _) = convene_store::audit::search(app.store().conn(), &Default::default(), 1, 0)
        .await
        .unwrap();
    let purpose = events[0].entry.purpose.clone().unwrap_or_default();
    assert!(
        purpose.contains("nonce") || purpose.contains("Nonce"),
        "{purpose}"
    );
}

#[tokio::test]
async fn unverified_or_unknown_emails_are_refused() {
    let (app, _provider, school) = setup().await;
    for account in ["unverified", "stranger"] {
        let mut browser = app.browser();
        let authorize = begin(&mut browser, school).await;
        let back = log_in_at_provider(&authorize, account).await;
        let reply = browser.get(&path_of(&back)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{account}");
        assert!(
            reply
                .body
                .contains("We could not sign you in through your organisation")
        );
    }
}

#[tokio::test]
async fn a_callback_begun_in_another_browser_is_refused() {
    // Login CSRF: an attacker begins a sign-in as themselves and sends the
    // victim the link back; the victim's browser does not hold its state.
    let (app, _provider, school) = setup().await;
    let mut attacker = app.browser();
    let authorize = begin(&mut attacker, school).await;
    let back = log_in_at_provider(&authorize, "viewer").await;
    let mut victim = app.browser();
    victim.get("/sign-in").await;
    let refused = victim.get(&path_of(&back)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(victim.session_cookie().is_none());
    // The attacker's own browser still finishes its own sign-in.
    let own = attacker.get(&path_of(&back)).await;
    assert_eq!(own.location(), "/account");
}
