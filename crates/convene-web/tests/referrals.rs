//! The referral journey through the web, in-process: a school practitioner
//! refers a child with the sharing decision on record; the service's
//! practitioner opens, accepts, books, records a missed appointment,
//! rebooks, records attendance and closes; the referrer sees each step.
//! Nobody else can see it, and each view is audited once.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::TestApp;
use common::referrals::*;
use convene_domain::identity::Role;
use uuid::Uuid;

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

/// An organisation with many referrals sees them 25 to a page, newest
/// first, with the total and links to older and newer pages.
#[tokio::test]
async fn long_referral_lists_come_a_page_at_a_time() {
    use convene_domain::clock::Clock;
    use convene_domain::people::PersonDetails;
    use convene_domain::referrals::{ReferralState, Urgency};
    use convene_store::caseload::{
        CaseloadPerson, CaseloadReferral, CaseloadStep, insert_people, insert_referrals,
    };

    let app = TestApp::new().await;
    let w = world(&app).await;
    let now = app.clock.now();
    let child = Uuid::new_v4();
    let person = CaseloadPerson {
        id: child,
        details: PersonDetails {
            given_name: "Noor".into(),
            family_name: "Hussain".into(),
            date_of_birth: None,
            phone: None,
            email: None,
            contact_preference: None,
            preferred_language: None,
            school: None,
            postcode: None,
        },
        recorded_by: w.school,
        at: now,
    };
    let teacher = Uuid::new_v4();
    let referrals: Vec<CaseloadReferral> = (0..30)
        .map(|n| {
            let at = now - Duration::hours(30 - n);
            let step = |transition, from, to| CaseloadStep {
                transition,
                from,
                to,
                by_user: teacher,
                by_organisation: w.school,
                at,
            };
            CaseloadReferral {
                id: Uuid::new_v4(),
                service_id: w.service,
                receiving_organisation_id: w.provider,
                referring_organisation_id: w.school,
                referred_by: teacher,
                subject_id: child,
                parent_id: None,
                need: Uuid::new_v4(),
                urgency: Urgency::Routine,
                reason: format!("Referral number {n}"),
                decline_reason: None,
                outcome: None,
                steps: vec![
                    step("create", None, ReferralState::Draft),
                    step("send", Some(ReferralState::Draft), ReferralState::Sent),
                ],
                appointment: None,
            }
        })
        .collect();
    let newest = referrals[29].id;
    let oldest = referrals[0].id;
    let keys = app.state.keys.clone();
    app.store()
        .transaction(move |txn| {
            Box::pin(async move {
                insert_people(txn, &keys, &[person]).await?;
                insert_referrals(txn, &keys, &referrals).await
            })
        })
        .await
        .unwrap();

    let mut worker = signed_in(
        &app,
        "worker@riverside.example",
        w.provider,
        Role::Practitioner,
    )
    .await;
    let first = worker.get("/referrals").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("Received (30)"), "{}", first.body);
    assert!(first.body.contains("Showing 1 to 25 of 30"));
    assert!(first.body.contains(&format!("/referrals/{newest}")));
    assert!(!first.body.contains(&format!("/referrals/{oldest}")));
    assert!(
        first.body.contains("href=\"/referrals?received=2&"),
        "a link to older ones"
    );
    assert_eq!(first.body.matches("Noor Hussain").count(), 25);

    let second = worker.get("/referrals?received=2&sent=1").await;
    assert!(second.body.contains("Showing 26 to 30 of 30"));
    assert!(second.body.contains(&format!("/referrals/{oldest}")));
    assert!(
        second.body.contains("href=\"/referrals?received=1&"),
        "a link to newer ones"
    );
    assert!(
        !second.body.contains("href=\"/referrals?received=3&"),
        "no page 3"
    );
    assert_eq!(second.body.matches("Noor Hussain").count(), 5);

    for bad in ["/referrals?received=0", "/referrals?sent=x"] {
        assert_eq!(
            worker.get(bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}
