//! A person's record through the web: subject access and anonymisation,
//! a family asking for help themselves, a child recorded twice and merged,
//! and a school a child is moving to.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use common::referrals::*;
use convene_domain::identity::Role;
use uuid::Uuid;

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
