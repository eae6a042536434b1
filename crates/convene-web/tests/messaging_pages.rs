//! The messaging pages: coordinators preview, save and reset the wording
//! of messages (a template that would fail is refused and nothing is
//! saved); platform administrators read the outbox and send failed
//! messages again. Every change is in the audit trail, and nothing
//! personal about a family is ever shown.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::{Browser, Reply, TestApp};
use convene_domain::identity::Role;
use convene_domain::messaging::templates::MessageKind;
use convene_store::audit::{self, AuditSearch};
use convene_store::messaging::outbox::{self, NewMessage};
use convene_store::messaging::templates;
use convene_store::testing::TestDatabase;
use uuid::Uuid;

const POLISH: &str = "Dzień dobry {{ first_name }}, przypominamy o wizycie {{ date }} o {{ time }}. Aby ją zmienić, zadzwoń pod {{ phone }}.";

async fn signed_in<'a>(app: &'a TestApp, email: &str, role: Role) -> Browser<'a> {
    let organisation = app.organisation(&format!("Organisation of {email}")).await;
    let (_, secret) = app.account(email, organisation, role).await;
    app.next_code_window();
    let mut browser = app.browser();
    browser.sign_in(email, secret.as_deref()).await;
    browser
}

/// The `messaging_changed` events, oldest first: (object type, object id).
async fn changes(app: &TestApp) -> Vec<(String, String)> {
    let filter = AuditSearch {
        action: Some("messaging_changed".into()),
        ..Default::default()
    };
    let (events, _) = audit::search(app.store().conn(), &filter, 100, 0)
        .await
        .unwrap();
    events
        .into_iter()
        .rev()
        .map(|e| {
            (
                e.entry.object_type.unwrap_or_default(),
                e.entry.object_id.unwrap_or_default(),
            )
        })
        .collect()
}

async fn saved_count(app: &TestApp) -> usize {
    templates::all(app.store().conn()).await.unwrap().len()
}

async fn submit(browser: &mut Browser<'_>, path: &str, fields: &[(&str, &str)]) -> Reply {
    browser.get(path).await;
    browser.post(path, fields).await
}

async fn templates_flow(app: TestApp) {
    let mut coordinator = signed_in(&app, "coordinator@trust.example", Role::Coordinator).await;

    let directory = coordinator.get("/directory").await;
    assert!(directory.body.contains("href=\"/messaging/templates\""));
    let list = coordinator.get("/messaging/templates").await;
    assert_eq!(list.status, StatusCode::OK);
    for kind in MessageKind::ALL {
        assert!(list.body.contains(kind.label()), "{}", kind.label());
    }
    assert!(
        list.body
            .contains("href=\"/messaging/templates/reminder/english\"")
    );
    assert!(list.body.contains("Built-in"));
    assert!(list.body.contains("Staff, by email"));

    // "Add a language" is a plain GET that leads to that language's page.
    let add = coordinator
        .get("/messaging/templates?kind=reminder&language=Polish")
        .await;
    assert_eq!(add.status, StatusCode::SEE_OTHER);
    assert_eq!(add.location(), "/messaging/templates/reminder/polish");
    let wrong = coordinator
        .get("/messaging/templates?kind=nonsense&language=")
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(wrong.body.contains("There is a problem"));
    assert!(
        wrong
            .body
            .contains("Select the message the new language is for")
    );
    assert!(wrong.body.contains("Enter the language"));

    let path = "/messaging/templates/reminder/polish";
    let page = coordinator.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("There is no Polish wording yet"));
    for variable in ["first_name", "date", "time", "phone", "service_name"] {
        assert!(
            page.body
                .contains(&format!("<code>{{{{ {variable} }}}}</code>")),
            "{variable}"
        );
    }
    // The preview of the wording in use, with sample details, and its length.
    assert!(
        page.body
            .contains("Hello Alexandra-Louise, this is a reminder")
    );
    assert!(page.body.contains("this is 2 texts long (at most 3)"));
    assert!(
        page.body
            .contains("Used only when the message goes by email")
    );
    assert!(
        !page.body.contains("Go back to the built-in wording"),
        "nothing saved to go back from"
    );

    // A preview shows the typed text filled in, and saves nothing.
    let preview = coordinator
        .post(
            path,
            &[
                ("subject", "Przypomnienie"),
                ("body", POLISH),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains(
        "Dzień dobry Alexandra-Louise, przypominamy o wizycie Wednesday 30 September o 12:30pm"
    ));
    assert!(
        preview.body.contains(POLISH),
        "the form keeps the typed text"
    );
    assert_eq!(saved_count(&app).await, 0);
    assert!(changes(&app).await.is_empty());

    let saved = coordinator
        .post(
            path,
            &[
                ("subject", "Przypomnienie"),
                ("body", POLISH),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/messaging/templates?done=saved");
    let all = templates::all(app.store().conn()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, MessageKind::Reminder);
    assert_eq!(all[0].language, "polish");
    assert_eq!(all[0].template.body, POLISH);
    let found = templates::find(app.store().conn(), MessageKind::Reminder, Some("Polish"))
        .await
        .unwrap();
    assert_eq!(found.subject, "Przypomnienie");
    assert_eq!(
        changes(&app).await,
        [(
            "message_template".to_string(),
            "reminder/polish".to_string()
        )]
    );

    let list = coordinator.get("/messaging/templates?done=saved").await;
    assert!(list.body.contains("govuk-notification-banner--success"));
    assert!(
        list.body
            .contains("href=\"/messaging/templates/reminder/polish\"")
    );

    let page = coordinator.get(path).await;
    assert!(page.body.contains("This is the saved Polish wording"));
    assert!(page.body.contains("Go back to the built-in wording"));

    // Going back removes the Polish wording: English is used again.
    let reset = coordinator.post(path, &[("action", "reset")]).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert_eq!(reset.location(), "/messaging/templates?done=reset");
    assert_eq!(saved_count(&app).await, 0);
    let found = templates::find(app.store().conn(), MessageKind::Reminder, Some("polish"))
        .await
        .unwrap();
    assert_eq!(found, MessageKind::Reminder.default_template());
    assert_eq!(changes(&app).await.len(), 2);

    // English: saved, then back to the built-in wording.
    let english = "/messaging/templates/referral_accepted/english";
    let saved = submit(
        &mut coordinator,
        english,
        &[
            ("subject", "Accepted: {{ reference }}"),
            (
                "body",
                "{{ service_name }} took on {{ reference }}.\r\n\r\n{{ link }}",
            ),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let found = templates::find(app.store().conn(), MessageKind::ReferralAccepted, None)
        .await
        .unwrap();
    assert_eq!(
        found.body, "{{ service_name }} took on {{ reference }}.\n\n{{ link }}",
        "one kind of line break"
    );
    let page = coordinator.get(english).await;
    assert!(page.body.contains("The subject line of the email"));
    assert!(
        !page.body.contains("texts long"),
        "no text-message limit for staff"
    );
    let reset = coordinator.post(english, &[("action", "reset")]).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let found = templates::find(app.store().conn(), MessageKind::ReferralAccepted, None)
        .await
        .unwrap();
    assert_eq!(found, MessageKind::ReferralAccepted.default_template());
    assert_eq!(
        changes(&app).await,
        [
            ("message_template", "reminder/polish"),
            ("message_template", "reminder/polish"),
            ("message_template", "referral_accepted/english"),
            ("message_template", "referral_accepted/english"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // Nothing saved: going back changes and records nothing.
    let reset = coordinator.post(english, &[("action", "reset")]).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert_eq!(changes(&app).await.len(), 4);

    // Unknown kinds and unusable languages are not pages.
    assert_eq!(
        coordinator
            .get("/messaging/templates/birthday/english")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        coordinator
            .get(&format!("/messaging/templates/reminder/{}", "x".repeat(17)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    coordinator.get("/messaging/templates").await;
    let unknown = coordinator
        .post(
            "/messaging/templates/birthday/english",
            &[("subject", "x"), ("body", "y"), ("action", "save")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(saved_count(&app).await, 0);
    app.db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_previews_saves_and_resets_templates_on_sqlite() {
    templates_flow(TestApp::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_previews_saves_and_resets_templates_on_postgres() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    templates_flow(TestApp::on(db, "http://127.0.0.1:8080", convene_web::routes()).await).await;
}

#[tokio::test]
async fn a_template_that_would_fail_is_refused_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let mut coordinator = signed_in(&app, "coordinator@trust.example", Role::Coordinator).await;
    let path = "/messaging/templates/reminder/english";

    // A variable the kind does not have: named, shown, not saved.
    let leaky = "Hello {{ first_name }}, born {{ date_of_birth }}";
    for action in ["preview", "save"] {
        let refused = submit(
            &mut coordinator,
            path,
            &[("subject", "Reminder"), ("body", leaky), ("action", action)],
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        assert!(refused.body.contains("There is a problem"), "{action}");
        assert!(refused.body.contains("href=\"#body\""), "{action}");
        assert!(refused.body.contains("id=\"body-error\""), "{action}");
        assert!(
            refused
                .body
                .contains("it uses a name that is not one of the variables listed"),
            "{action}"
        );
        assert!(refused.body.contains(leaky), "the typed text is kept");
        assert!(refused.body.contains("<title>Error: "), "{action}");
    }
    assert_eq!(saved_count(&app).await, 0);

    // A reminder longer than three text messages.
    let long = format!("{} {{{{ date }}}}", "word ".repeat(95));
    let refused = coordinator
        .post(
            path,
            &[("subject", "Reminder"), ("body", &long), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("The text message would be 4 messages long; keep it to 3"),
        "{}",
        refused.body
    );
    assert_eq!(saved_count(&app).await, 0);

    // Broken syntax, and an empty subject (which belongs to its own field).
    let refused = coordinator
        .post(
            path,
            &[
                ("subject", "Reminder"),
                ("body", "Hello {{ first_name "),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("it is not written correctly"));
    let refused = coordinator
        .post(
            path,
            &[("subject", "  "), ("body", "Hello"), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"subject-error\""));
    assert!(refused.body.contains("The subject is empty"));

    // A sensitive service's reminder may not name the family member.
    let refused = submit(
        &mut coordinator,
        "/messaging/templates/reminder_sensitive/english",
        &[
            ("subject", "Reminder"),
            ("body", "Hello {{ first_name }}, {{ date }}"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // An unknown action does nothing.
    let odd = coordinator
        .post(
            path,
            &[
                ("subject", "Reminder"),
                ("body", "Hi"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);

    assert_eq!(saved_count(&app).await, 0);
    assert!(changes(&app).await.is_empty());
}

#[tokio::test]
async fn each_page_is_for_its_own_role() {
    let app = TestApp::new().await;
    let mut admin = signed_in(&app, "admin@convene.example", Role::PlatformAdmin).await;
    assert_eq!(
        admin.get("/messaging/templates").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.get("/messaging/outbox").await.status, StatusCode::OK);
    let mut coordinator = signed_in(&app, "coordinator@trust.example", Role::Coordinator).await;
    assert_eq!(
        coordinator.get("/messaging/outbox").await.status,
        StatusCode::FORBIDDEN
    );
    let mut practitioner = signed_in(&app, "fsw@school.example", Role::Practitioner).await;
    practitioner.get("/account").await;
    let refused = practitioner
        .post(
            "/messaging/templates/reminder/english",
            &[("subject", "x"), ("body", "y"), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(saved_count(&app).await, 0);
    assert_eq!(
        app.get("/messaging/outbox").await.location(),
        "/sign-in",
        "anonymous visitors are sent to sign in"
    );
}

/// The number a summary-list row of the outbox's counts shows.
fn count_of(body: &str, label: &str) -> u64 {
    let at = body
        .find(&format!(">{label}</strong></dt>"))
        .unwrap_or_else(|| panic!("a count for {label}"));
    let marker = "govuk-summary-list__value\">";
    let start = at + body[at..].find(marker).unwrap() + marker.len();
    let end = start + body[start..].find('<').unwrap();
    body[start..end].trim().parse().unwrap()
}

async fn outbox_flow(app: TestApp) {
    let conn = app.store().conn();
    let now = app.now();
    let failing = outbox::enqueue(
        conn,
        &NewMessage::notice(
            MessageKind::ReferralReceived,
            "intake@riverside.example".into(),
            Uuid::new_v4(),
            now,
        ),
        now,
    )
    .await
    .unwrap();
    // A reminder, due later. Even were a recipient ever kept on a family
    // message, the page would not show it.
    let reminder = outbox::enqueue(
        conn,
        &NewMessage {
            kind: MessageKind::Reminder,
            recipient: "ada.parent@home.example".into(),
            referral_id: Some(Uuid::new_v4()),
            appointment: Some((Uuid::new_v4(), now + Duration::days(10))),
            not_before: now + Duration::days(9),
        },
        now,
    )
    .await
    .unwrap();
    let claimed = outbox::claim_due(conn, now, Duration::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, failing);
    outbox::mark_failed_attempt(
        conn,
        &claimed[0],
        "The provider refused the address",
        true,
        now,
    )
    .await
    .unwrap();

    let mut admin = signed_in(&app, "admin@convene.example", Role::PlatformAdmin).await;
    let page = admin.get("/messaging/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(count_of(&page.body, "Failed"), 1);
    assert_eq!(count_of(&page.body, "Queued"), 1);
    assert_eq!(count_of(&page.body, "Delivered"), 0);
    assert!(page.body.contains("intake@riverside.example"));
    assert!(
        page.body
            .contains("New referral (to the receiving organisation)")
    );
    assert!(page.body.contains("The provider refused the address"));
    assert!(page.body.contains("23 November 2026, 9:00am"));
    assert!(page.body.contains("Family (not shown)"));
    assert!(page.body.contains("Appointment reminder to a family"));
    assert!(!page.body.contains("ada.parent@home.example"));
    assert!(
        page.body
            .contains(&format!("/messaging/outbox/{failing}/retry"))
    );
    assert!(
        !page
            .body
            .contains(&format!("/messaging/outbox/{reminder}/retry")),
        "only failed or undelivered messages are sent again"
    );

    // One status at a time; an unknown status shows everything, and says so.
    let failed = admin.get("/messaging/outbox?status=failed").await;
    assert!(failed.body.contains("intake@riverside.example"));
    assert!(!failed.body.contains("Family (not shown)"));
    let odd = admin.get("/messaging/outbox?status=lost").await;
    assert_eq!(odd.status, StatusCode::OK);
    assert!(odd.body.contains("Select a status from the list"));
    assert!(odd.body.contains("intake@riverside.example"));
    assert!(odd.body.contains("Family (not shown)"));

    // Send again: queued, attempts from zero, in the audit trail.
    admin.get("/messaging/outbox").await;
    let again = admin
        .post(&format!("/messaging/outbox/{failing}/retry"), &[])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.location(), "/messaging/outbox?done=retried");
    let message = outbox::get(conn, failing).await.unwrap().unwrap();
    assert_eq!(message.status, "queued");
    assert_eq!(message.attempts, 0);
    assert_eq!(
        changes(&app).await,
        [("outbox_message".to_string(), failing.to_string())]
    );
    let page = admin.get("/messaging/outbox?done=retried").await;
    assert!(
        page.body
            .contains("The message is queued to be sent again.")
    );
    assert_eq!(count_of(&page.body, "Queued"), 2);
    assert_eq!(count_of(&page.body, "Failed"), 0);

    // A queued message cannot be sent again: refused, nothing changes.
    let refused = admin
        .post(&format!("/messaging/outbox/{failing}/retry"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .body
            .contains("Only a failed or undelivered message can be sent again")
    );
    let refused = admin
        .post(&format!("/messaging/outbox/{reminder}/retry"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(!refused.body.contains("ada.parent@home.example"));
    assert_eq!(changes(&app).await.len(), 1);
    assert_eq!(
        outbox::get(conn, reminder).await.unwrap().unwrap().status,
        "queued"
    );

    // Messages that do not exist.
    for id in [Uuid::new_v4().to_string(), "not-a-message".to_string()] {
        let missing = admin
            .post(&format!("/messaging/outbox/{id}/retry"), &[])
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(changes(&app).await.len(), 1);
    app.db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_reads_the_outbox_and_sends_again_on_sqlite() {
    outbox_flow(TestApp::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_reads_the_outbox_and_sends_again_on_postgres() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    outbox_flow(TestApp::on(db, "http://127.0.0.1:8080", convene_web::routes()).await).await;
}
