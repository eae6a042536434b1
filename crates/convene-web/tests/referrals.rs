//! The referral journey through the web, in-process: a school practitioner
//! refers a child with the sharing decision on record; the service's
//! practitioner opens, accepts, books, records a missed appointment,
//! rebooks, records attendance and closes; the referrer sees each step.
//! Nobody else can see it, and each view is audited once.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Duration;
use common::{Browser, TestApp};
use convene_domain::clock::SharedClock;
use convene_domain::identity::Role;
use convene_jobs::import::import_services;
use serde_json::json;
use uuid::Uuid;

struct World {
    school: Uuid,
    provider: Uuid,
    service: Uuid,
}

async fn world(app: &TestApp) -> World {
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

async fn signed_in<'a>(
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
async fn days_pass(app: &TestApp, days: i64, people: &mut [(&mut Browser<'_>, &str)]) {
    app.clock.advance(Duration::days(days));
    for (browser, email) in people.iter_mut() {
        app.next_code_window();
        browser.cookies.clear();
        browser.sign_in(email, Some(&[42u8; 20])).await;
    }
}

fn referral_form(w: &World) -> Vec<(&'static str, String)> {
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

async fn post(
    browser: &mut Browser<'_>,
    page: &str,
    path: &str,
    fields: &[(&str, String)],
) -> common::Reply {
    browser.get(page).await;
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(path, &borrowed).await
}

fn version(body: &str) -> String {
    let at = body
        .find(r#"name="version" value=""#)
        .expect("a version field")
        + r#"name="version" value=""#.len();
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

/// The first appointment id with a form on the page.
fn appointment_path(body: &str, referral: &str) -> String {
    let marker = format!("/referrals/{referral}/appointments/");
    let at = body.find(&marker).expect("an appointment form");
    let end = body[at..].find('"').unwrap();
    body[at..at + end].to_string()
}

async fn views_about_child(app: &TestApp) -> usize {
    let (events, _) =
        convene_store::audit::search(app.store().conn(), &Default::default(), 1000, 0)
            .await
            .unwrap();
    events
        .iter()
        .filter(|e| e.entry.action == "record_viewed" && e.entry.subject_person_id.is_some())
        .count()
}

#[tokio::test]
async fn a_referral_from_a_school_to_a_service_and_back() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);

    let form = teacher.get(&new_page).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains("Convene is not for safeguarding concerns")
    );

    // Mistakes are named and nothing is saved.
    let mut missing = referral_form(&w);
    missing.retain(|(k, _)| !matches!(*k, "reason" | "privacy_notice" | "child_given_name"));
    let refused = post(&mut teacher, &new_page, &new_page, &missing).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Enter their first name",
        "Enter the reason for the referral",
        "Say which privacy notice",
    ] {
        assert!(refused.body.contains(message), "{message}");
    }
    assert!(teacher.get("/referrals").await.body.contains("Sent (0)"));

    let sent = post(&mut teacher, &new_page, &new_page, &referral_form(&w)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let path = sent.location().to_string();
    let id = path.trim_start_matches("/referrals/").to_string();
    let page = teacher.get(&path).await;
    assert!(page.body.contains("Sent"), "{}", page.body);
    assert!(page.body.contains("Bedtimes are a battle"));

    // The service's practitioner sees it in the inbox; opening marks it.
    let mut worker = signed_in(
        &app,
        "worker@riverside.example",
        w.provider,
        Role::Practitioner,
    )
    .await;
    let inbox = worker.get("/referrals").await;
    assert!(
        inbox.body.contains("Received (1)") && inbox.body.contains("Ada Okafor"),
        "{}",
        inbox.body
    );
    let before = views_about_child(&app).await;
    let opened = worker.get(&path).await;
    assert_eq!(
        views_about_child(&app).await,
        before + 1,
        "one view, one audit event"
    );
    assert!(opened.body.contains("Opened"), "{}", opened.body);
    assert!(
        teacher.get(&path).await.body.contains("Opened"),
        "the referrer sees it was opened"
    );

    // The referrer cannot accept it for the service.
    let v = version(&teacher.get(&path).await.body);
    let wrong = teacher
        .post(
            &format!("{path}/move"),
            &[("version", &v), ("transition", "accept")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains("Only the receiving service can do that")
    );

    let v = version(&worker.get(&path).await.body);
    let accepted = worker
        .post(
            &format!("{path}/move"),
            &[("version", &v), ("transition", "accept")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);

    // Book for tomorrow 10:00 (UK time), miss it, rebook, attend.
    let tomorrow = app.now() + Duration::days(1);
    let date = tomorrow.format("%d/%m/%Y").to_string();
    let parts: Vec<&str> = date.split('/').collect();
    worker.get(&path).await;
    let booked = worker
        .post(
            &format!("{path}/appointments"),
            &[
                ("when-day", parts[0]),
                ("when-month", parts[1]),
                ("when-year", parts[2]),
                ("when-time", "10:00"),
                ("duration", "45"),
                ("mode", "in_person"),
                ("place", "Riverside Hub"),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    days_pass(
        &app,
        2,
        &mut [
            (&mut worker, "worker@riverside.example"),
            (&mut teacher, "fsw@northgate.example"),
        ],
    )
    .await;
    let page = worker.get(&path).await;
    let appointment = appointment_path(&page.body, &id);
    let v = version(&page.body[page.body.find(&appointment).unwrap()..]);
    let missed = worker
        .post(
            &appointment,
            &[("version", &v), ("change", "did_not_attend")],
        )
        .await;
    assert_eq!(missed.status, StatusCode::SEE_OTHER, "{}", missed.body);
    let page = worker.get(&path).await;
    assert!(page.body.contains("Did not attend"));
    assert!(
        page.body
            .contains("Contact the family about the missed appointment")
    );
    let told = teacher.get("/referrals").await;
    assert!(
        told.body.contains("An appointment was missed"),
        "the referrer is told"
    );

    let next = app.now() + Duration::days(1);
    let date = next.format("%d/%m/%Y").to_string();
    let parts: Vec<&str> = date.split('/').collect();
    worker
        .post(
            &format!("{path}/appointments"),
            &[
                ("when-day", parts[0]),
                ("when-month", parts[1]),
                ("when-year", parts[2]),
                ("when-time", "16:30"),
                ("duration", "45"),
                ("mode", "phone"),
            ],
        )
        .await;
    days_pass(
        &app,
        2,
        &mut [
            (&mut worker, "worker@riverside.example"),
            (&mut teacher, "fsw@northgate.example"),
        ],
    )
    .await;
    let page = worker.get(&path).await;
    let appointment = appointment_path(&page.body, &id);
    let v = version(&page.body[page.body.find(&appointment).unwrap()..]);
    let attended = worker
        .post(&appointment, &[("version", &v), ("change", "attended")])
        .await;
    assert_eq!(attended.status, StatusCode::SEE_OTHER, "{}", attended.body);

    let v = version(&worker.get(&path).await.body);
    let closed = worker
        .post(
            &format!("{path}/move"),
            &[
                ("version", &v),
                ("transition", "close"),
                ("outcome", "needs_met"),
            ],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let seen = teacher.get(&path).await;
    assert!(
        seen.body.contains("Closed") && seen.body.contains("Needs met"),
        "{}",
        seen.body
    );
    for step in ["Drafted", "Sent", "Opened", "Accepted", "Closed"] {
        assert!(
            seen.body.contains(&format!("<strong>{step}</strong>")),
            "history shows {step}"
        );
    }

    // The measures count it; too few for rates.
    let measures = worker.get("/referrals/measures").await;
    assert_eq!(measures.status, StatusCode::OK);
    assert!(measures.body.contains("Appointments kept, missed"));
    assert!(
        measures
            .body
            .contains("<td class=\"govuk-table__cell\">1, 1</td>"),
        "{}",
        measures.body
    );
    assert!(measures.body.contains("not shown (fewer than 5)"));

    // The child's page: one chronology, and who has looked at the record.
    let child = person_path(&seen.body);
    let person = teacher.get(&child).await;
    assert_eq!(person.status, StatusCode::OK);
    assert!(
        person
            .body
            .contains("Referral to Calmer bedtimes course: sent by Northgate Primary"),
        "{}",
        person.body
    );
    assert!(
        person
            .body
            .contains("Appointment with Calmer bedtimes course: did not attend")
    );
    assert!(
        person
            .body
            .contains("Details shared on the basis of consent")
    );
    assert!(
        person.body.contains("worker@riverside.example"),
        "the service's views are listed"
    );
}

fn person_path(body: &str) -> String {
    let at = body.find("href=\"/people/").expect("a link to the person") + "href=\"".len();
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn nobody_else_can_see_a_referral() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let sent = post(&mut teacher, &new_page, &new_page, &referral_form(&w)).await;
    let path = sent.location().to_string();

    let elsewhere = app.organisation("Elsewhere Academy").await;
    for (email, organisation, role) in [
        ("stranger@elsewhere.example", elsewhere, Role::Practitioner),
        ("analyst@northgate.example", w.school, Role::Analyst),
        ("admin@platform.example", w.school, Role::PlatformAdmin),
        ("coordinator@northgate.example", w.school, Role::Coordinator),
        (
            "orgadmin@northgate.example",
            w.school,
            Role::OrganisationAdmin,
        ),
    ] {
        let mut browser = signed_in(&app, email, organisation, role).await;
        let before = views_about_child(&app).await;
        let reply = browser.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{email}");
        assert!(!reply.body.contains("Okafor"), "{email}");
        assert_eq!(
            views_about_child(&app).await,
            before,
            "{email}: no view recorded"
        );
        browser.get("/account").await;
        let moved = browser
            .post(
                &format!("{path}/move"),
                &[("version", "2"), ("transition", "accept")],
            )
            .await;
        assert_eq!(moved.status, StatusCode::NOT_FOUND, "{email}");
    }
    // Nor the child's page.
    let child = person_path(&teacher.get(&path).await.body);
    let mut stranger = signed_in(
        &app,
        "another@elsewhere.example",
        elsewhere,
        Role::SafeguardingLead,
    )
    .await;
    assert_eq!(stranger.get(&child).await.status, StatusCode::NOT_FOUND);
    // A random id is as unknown as someone else's referral.
    let unknown = teacher.get(&format!("/referrals/{}", Uuid::new_v4())).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn withdrawn_consent_stops_a_draft_being_sent() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let mut draft = referral_form(&w);
    draft.retain(|(k, _)| *k != "action");
    draft.push(("action", "draft".into()));
    let saved = post(&mut teacher, &new_page, &new_page, &draft).await;
    let path = saved.location().to_string();
    let page = teacher.get(&path).await;
    assert!(page.body.contains("Draft"));
    let child = person_path(&page.body);

    teacher.get(&child).await;
    let recorded = teacher
        .post(
            &format!("{child}/consent"),
            &[("decision", "withdrawn"), ("reasons", "Mum phoned")],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    assert!(recorded.body.contains("Consent withdrawn"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"sharing_recorded".to_string())
    );

    let v = version(&teacher.get(&path).await.body);
    let refused = teacher
        .post(
            &format!("{path}/move"),
            &[("version", &v), ("transition", "send")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("withdrawn consent"),
        "{}",
        refused.body
    );

    // Not sharing needs reasons.
    teacher.get(&child).await;
    let no_reason = teacher
        .post(&format!("{child}/consent"), &[("decision", "not_shared")])
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);

    teacher.get(&child).await;
    teacher
        .post(&format!("{child}/consent"), &[("decision", "given")])
        .await;
    let v = version(&teacher.get(&path).await.body);
    let sent = teacher
        .post(
            &format!("{path}/move"),
            &[("version", &v), ("transition", "send")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let person = teacher.get(&child).await;
    assert!(person.body.contains("Consent withdrawn") && person.body.contains("Consent given"));
}

#[tokio::test]
async fn a_safeguarding_lead_exports_everything_and_anonymises() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let sent = post(&mut teacher, &new_page, &new_page, &referral_form(&w)).await;
    let path = sent.location().to_string();
    let child = person_path(&teacher.get(&path).await.body);

    // A practitioner cannot; the school's safeguarding lead can.
    assert_eq!(
        teacher.get(&format!("{child}/export.json")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut lead = signed_in(
        &app,
        "dsl@northgate.example",
        w.school,
        Role::SafeguardingLead,
    )
    .await;
    let person = lead.get(&child).await;
    assert!(person.body.contains("Everything held about them"));
    let json = lead.get(&format!("{child}/export.json")).await;
    assert_eq!(json.status, StatusCode::OK);
    let everything: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(everything["person"]["family_name"], "Okafor");
    assert_eq!(
        everything["referrals"][0]["reason"],
        "Bedtimes are a battle every night and Mum is exhausted"
    );
    let printable = lead.get(&format!("{child}/export")).await;
    assert!(printable.body.contains("Bedtimes are a battle"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"subject_access_exported".to_string())
    );

    // Not while the referral is open.
    lead.get(&child).await;
    let open = lead.post(&format!("{child}/anonymise"), &[]).await;
    assert_eq!(open.status, StatusCode::BAD_REQUEST);
    let v = version(&teacher.get(&path).await.body);
    teacher
        .post(
            &format!("{path}/move"),
            &[
                ("version", &v),
                ("transition", "close"),
                ("outcome", "family_withdrew"),
            ],
        )
        .await;
    lead.get(&child).await;
    let done = lead.post(&format!("{child}/anonymise"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = lead.get(&child).await;
    assert!(after.body.contains("This record has been anonymised"));
    assert!(!after.body.contains("Okafor"));
}

#[tokio::test]
async fn a_family_asks_a_service_for_help_themselves() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let page = format!("/find-support/services/{}", w.service);
    let ask = format!("{page}/ask");
    // Not until the organisation says families may ask directly.
    assert!(!app.get(&page).await.body.contains("Ask for help"));
    assert_eq!(app.get(&ask).await.status, StatusCode::NOT_FOUND);
    let coordinator = Uuid::new_v4();
    convene_store::directory::services::set_local_fields(
        app.store().conn(),
        w.service,
        &["in_person".to_string()],
        "both",
        coordinator,
        app.now(),
    )
    .await
    .unwrap();
    assert!(app.get(&page).await.body.contains("Ask for help"));

    let mut family = app.browser();
    let form = family.get(&ask).await;
    assert_eq!(form.status, StatusCode::OK);
    let missing = family
        .post(&ask, &[("for", "child"), ("given_name", "Grace")])
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Enter their last name",
        "Enter what you would like help with",
        "Tick the box to agree",
    ] {
        assert!(
            missing.body.contains(message),
            "{message}: {}",
            missing.body
        );
    }
    // A robot filling the hidden field is thanked and forgotten.
    family.get(&ask).await;
    let robot = family
        .post(
            &ask,
            &[("website", "http://spam.example"), ("given_name", "x")],
        )
        .await;
    assert!(robot.body.contains("Request sent"));

    family.get(&ask).await;
    let fields = [
        ("for", "child"),
        ("given_name", "Grace"),
        ("family_name", "Okafor"),
        ("phone", "07700 900982"),
        ("contact_preference", "text"),
        ("child_given_name", "Ada"),
        ("child_family_name", "Okafor"),
        ("child_dob-day", "1"),
        ("child_dob-month", "5"),
        ("child_dob-year", "2019"),
        ("reason", "Bedtimes are hard and I am tired"),
        ("consent", "2026-11"),
    ];
    let sent = family.post(&ask, &fields).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("Request sent"));

    let mut worker = signed_in(
        &app,
        "worker@riverside.example",
        w.provider,
        Role::Practitioner,
    )
    .await;
    let inbox = worker.get("/referrals").await;
    assert!(
        inbox.body.contains("Received (1)") && inbox.body.contains("Ada Okafor"),
        "{}",
        inbox.body
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"referral_changed".to_string())
    );

    // The service pauses new referrals from its referrals page: the form is gone.
    worker.get("/referrals").await;
    let paused = worker
        .post(
            &format!("/referrals/services/{}/intake", w.service),
            &[("paused", "yes"), ("capacity", "")],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    assert_eq!(app.get(&ask).await.status, StatusCode::NOT_FOUND);
    assert!(worker.get("/referrals").await.body.contains("Paused"));
}

#[tokio::test]
async fn a_child_recorded_twice_is_offered_then_merged() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let first = post(&mut teacher, &new_page, &new_page, &referral_form(&w)).await;
    let first_child = person_path(&teacher.get(first.location()).await.body);

    // The same name, birthday and postcode again: offered, not recorded twice.
    let offered = post(&mut teacher, &new_page, &new_page, &referral_form(&w)).await;
    assert_eq!(offered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        offered.body.contains("Is this the same child?"),
        "{}",
        offered.body
    );
    let mut someone_else = referral_form(&w);
    someone_else.push(("child_record", "new".into()));
    let second = post(&mut teacher, &new_page, &new_page, &someone_else).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);
    let second_child = person_path(&teacher.get(second.location()).await.body);
    assert_ne!(first_child, second_child);

    let mut lead = signed_in(
        &app,
        "dsl@northgate.example",
        w.school,
        Role::SafeguardingLead,
    )
    .await;
    let page = lead.get(&second_child).await;
    assert!(
        page.body.contains("Convene may hold this person twice"),
        "{}",
        page.body
    );
    let kept = first_child.trim_start_matches("/people/").to_string();
    let merged = lead
        .post(&format!("{second_child}/merge"), &[("into", &kept)])
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    assert_eq!(merged.location(), first_child);
    let kept_page = lead.get(&first_child).await;
    assert_eq!(
        kept_page
            .body
            .matches("Referral to Calmer bedtimes course: sent")
            .count(),
        2
    );
    assert!(
        lead.get(&second_child)
            .await
            .body
            .contains("This record was merged into")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"people_merged".to_string())
    );
}

#[tokio::test]
async fn a_school_a_child_is_moving_to_sees_their_open_referrals_with_consent() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let secondary = app.organisation("Riverside Academy").await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let sent = post(&mut teacher, &new_page, &new_page, &referral_form(&w)).await;
    let path = sent.location().to_string();
    let child = person_path(&teacher.get(&path).await.body);

    let mut year7 = signed_in(
        &app,
        "year7@riverside.example",
        secondary,
        Role::Practitioner,
    )
    .await;
    assert_eq!(
        year7.get(&child).await.status,
        StatusCode::NOT_FOUND,
        "not before the move is flagged"
    );

    teacher.get(&child).await;
    let secondary_id = secondary.to_string();
    let no_consent = teacher
        .post(
            &format!("{child}/transitions"),
            &[("kind", "primary_to_secondary"), ("school", &secondary_id)],
        )
        .await;
    assert_eq!(no_consent.status, StatusCode::BAD_REQUEST);
    assert_eq!(year7.get(&child).await.status, StatusCode::NOT_FOUND);
    teacher.get(&child).await;
    let flagged = teacher
        .post(
            &format!("{child}/transitions"),
            &[
                ("kind", "primary_to_secondary"),
                ("school", &secondary_id),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(flagged.status, StatusCode::SEE_OTHER, "{}", flagged.body);

    let list = year7.get("/referrals").await;
    assert!(
        list.body.contains("Joining you (1)") && list.body.contains("Ada Okafor"),
        "{}",
        list.body
    );
    let page = year7.get(&child).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Referral to Calmer bedtimes course: sent"),
        "{}",
        page.body
    );
    // They see it, but the referral itself stays between its two sides,
    // and they can change nothing about the child.
    assert_eq!(year7.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Flag a key transition"));
    year7.get(&child).await;
    let consent = year7
        .post(&format!("{child}/consent"), &[("decision", "given")])
        .await;
    assert_eq!(consent.status, StatusCode::NOT_FOUND);
    let onward = year7
        .post(
            &format!("{child}/transitions"),
            &[
                ("kind", "school_to_post16"),
                ("school", &secondary_id),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(onward.status, StatusCode::NOT_FOUND);
    let mut year7_lead = signed_in(
        &app,
        "dsl@riverside.example",
        secondary,
        Role::SafeguardingLead,
    )
    .await;
    assert_eq!(
        year7_lead.get(&format!("{child}/export.json")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn sharing_without_consent_goes_to_the_safeguarding_lead_and_appointments_move() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let mut lead = signed_in(
        &app,
        "dsl@northgate.example",
        w.school,
        Role::SafeguardingLead,
    )
    .await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let mut form = referral_form(&w);
    form.retain(|(k, _)| *k != "basis");
    form.push(("basis", "vital_interests".into()));
    form.push(("justification", "Asking would put the child at risk".into()));
    let sent = post(&mut teacher, &new_page, &new_page, &form).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let path = sent.location().to_string();
    assert!(
        !teacher
            .get("/referrals")
            .await
            .body
            .contains("Review: shared without consent")
    );
    assert!(
        lead.get("/referrals")
            .await
            .body
            .contains("Review: shared without consent")
    );

    // The service moves an appointment.
    let mut worker = signed_in(
        &app,
        "worker@riverside.example",
        w.provider,
        Role::Practitioner,
    )
    .await;
    let v = version(&worker.get(&path).await.body);
    worker
        .post(
            &format!("{path}/move"),
            &[("version", &v), ("transition", "accept")],
        )
        .await;
    let day = |n: i64| {
        (app.now() + Duration::days(n))
            .format("%d/%m/%Y")
            .to_string()
    };
    let first = day(1);
    let parts: Vec<&str> = first.split('/').collect();
    worker.get(&path).await;
    worker
        .post(
            &format!("{path}/appointments"),
            &[
                ("when-day", parts[0]),
                ("when-month", parts[1]),
                ("when-year", parts[2]),
                ("when-time", "10:00"),
                ("duration", "30"),
                ("mode", "phone"),
            ],
        )
        .await;
    let page = worker.get(&path).await;
    let id = path.trim_start_matches("/referrals/");
    let appointment = appointment_path(&page.body, id);
    let v = version(&page.body[page.body.find(&appointment).unwrap()..]);
    let later = day(3);
    let parts: Vec<&str> = later.split('/').collect();
    let moved = worker
        .post(
            &appointment,
            &[
                ("version", &v),
                ("change", "reschedule"),
                ("when-day", parts[0]),
                ("when-month", parts[1]),
                ("when-year", parts[2]),
                ("when-time", "15:30"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let page = worker.get(&path).await;
    assert!(page.body.contains("at 15:30"), "{}", page.body);
    assert!(!page.body.contains("at 10:00"));
}
