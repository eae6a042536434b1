//! A school, a service provider and a service, and helpers to sign in,
//! fill in the referral form and read pages, for the referral tests.

use std::sync::Arc;

use chrono::Duration;
use convene_domain::clock::SharedClock;
use convene_domain::identity::Role;
use convene_jobs::import::import_services;
use serde_json::json;
use uuid::Uuid;

use super::{Browser, Reply, TestApp};

pub struct World {
    pub school: Uuid,
    pub provider: Uuid,
    pub service: Uuid,
}

pub async fn world(app: &TestApp) -> World {
    let school = app.organisation("Northgate Primary").await;
    let provider = app.organisation("Riverside Family Support").await;
    let service = Uuid::new_v4();
    let clock: SharedClock = Arc::new(app.clock.clone());
    import_services(
        app.store(),
        &clock,
        &[json!({
            "id": service.to_string(), "name": "Calmer bedtimes course", "status": "active",
            "description": "Six sessions for parents of young children",
            "organization": { "id": provider.to_string(), "name": "Riverside Family Support" }
        })],
        "local",
    )
    .await
    .unwrap();
    World {
        school,
        provider,
        service,
    }
}

pub async fn signed_in<'a>(
    app: &'a TestApp,
    email: &str,
    organisation: Uuid,
    role: Role,
) -> Browser<'a> {
    let (_, secret) = app.account(email, organisation, role).await;
    app.next_code_window();
    let mut browser = app.browser();
    browser.sign_in(email, secret.as_deref()).await;
    browser
}

/// Days pass: sessions have ended, so both sign in again.
pub async fn days_pass(app: &TestApp, days: i64, people: &mut [(&mut Browser<'_>, &str)]) {
    app.clock.advance(Duration::days(days));
    for (browser, email) in people.iter_mut() {
        app.next_code_window();
        browser.cookies.clear();
        browser.sign_in(email, Some(&[42u8; 20])).await;
    }
}

pub fn referral_form(w: &World) -> Vec<(&'static str, String)> {
    vec![
        ("child_given_name", "Ada".into()),
        ("child_family_name", "Okafor".into()),
        ("child_dob-day", "1".into()),
        ("child_dob-month", "5".into()),
        ("child_dob-year", "2019".into()),
        ("child_postcode", "BK3 2EA".into()),
        ("parent_given_name", "Grace".into()),
        ("parent_family_name", "Okafor".into()),
        ("parent_relationship", "mother".into()),
        ("parent_phone", "07700 900982".into()),
        ("parent_contact_preference", "text".into()),
        ("needs", "parenting".into()),
        (
            "reason",
            "Bedtimes are a battle every night and Mum is exhausted".into(),
        ),
        ("urgency", "soon".into()),
        ("privacy_notice", "2026-11".into()),
        ("basis", "consent".into()),
        ("items", "name".into()),
        ("items", "contact_details".into()),
        ("items", "reason".into()),
        (
            "purpose",
            "So the course can offer the family a place".into(),
        ),
        ("action", "send".into()),
        ("service", w.service.to_string()),
    ]
}

pub async fn post(
    browser: &mut Browser<'_>,
    page: &str,
    path: &str,
    fields: &[(&str, String)],
) -> Reply {
    browser.get(page).await;
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(path, &borrowed).await
}

pub fn version(body: &str) -> String {
    let at = body
        .find(r#"name="version" value=""#)
        .expect("a version field")
        + r#"name="version" value=""#.len();
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

/// The first appointment id with a form on the page.
pub fn appointment_path(body: &str, referral: &str) -> String {
    let marker = format!("/referrals/{referral}/appointments/");
    let at = body.find(&marker).expect("an appointment form");
    let end = body[at..].find('"').unwrap();
    body[at..at + end].to_string()
}

pub async fn views_about_child(app: &TestApp) -> usize {
    let (events, _) =
        convene_store::audit::search(app.store().conn(), &Default::default(), 1000, 0)
            .await
            .unwrap();
    events
        .iter()
        .filter(|e| e.entry.action == "record_viewed" && e.entry.subject_person_id.is_some())
        .count()
}

pub fn person_path(body: &str) -> String {
    let at = body.find("href=\"/people/").expect("a link to the person") + "href=\"".len();
    body[at..at + body[at..].find('"').unwrap()].to_string()
}
