//! Messages through the web: a referral's page lists its messages and what
//! became of them; staff stop messages to a family; a service sets its
//! reminders; GOV.UK Notify's callbacks (receipts and STOP replies) are
//! checked by bearer token and idempotent; Prometheus reads the counters.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::TestApp;
use common::referrals::*;
use convene_domain::clock::SharedClock;
use convene_domain::identity::Role;
use convene_domain::messaging::templates::MessageKind;
use convene_jobs::messaging::{Messenger, deliver_due};
use convene_store::messaging::outbox::{self, NewMessage, SentAs};
use convene_store::messaging::{opt_outs, settings};
use convene_web::Secret;
use uuid::Uuid;

/// A referral sent, accepted and with an appointment in ten days, as the
/// two practitioners would do it.
async fn referral_with_appointment(app: &TestApp, w: &World) -> (String, String) {
    let mut teacher = signed_in(app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    let new_page = format!("/referrals/new?service={}", w.service);
    let sent = post(&mut teacher, &new_page, &new_page, &referral_form(w)).await;
    let path = sent.location().to_string();
    let mut worker = signed_in(
        app,
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
    let day = app.now() + Duration::days(10);
    let (d, m, y) = (
        day.format("%d").to_string(),
        day.format("%m").to_string(),
        day.format("%Y").to_string(),
    );
    worker.get(&path).await;
    let booked = worker
        .post(
            &format!("{path}/appointments"),
            &[
                ("when-day", &d),
                ("when-month", &m),
                ("when-year", &y),
                ("when-time", "10:00"),
                ("duration", "45"),
                ("mode", "in_person"),
                ("place", "Riverside Hub"),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    let page = worker.get(&path).await.body;
    (path, page)
}

fn messenger(app: &TestApp) -> Messenger {
    Messenger::log("http://127.0.0.1:8080").with_keys(app.state.keys.clone())
}

/// The page's list of messages.
fn messages_section(page: &str) -> &str {
    let start = page.find(">Messages</h2>").expect("a messages section");
    let end = page[start..].find(">History</h2>").unwrap();
    &page[start..start + end]
}

#[tokio::test]
async fn a_referral_lists_its_reminders_and_staff_can_stop_them() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let (path, page) = referral_with_appointment(&app, &w).await;
    let listed = messages_section(&page);
    assert!(
        listed.contains("Appointment reminder to a family"),
        "{listed}"
    );
    assert!(listed.contains("Waiting to send"));
    // Never the family's number or words in the list.
    assert!(!listed.contains("07700") && !listed.contains("Grace"));

    // The family asks the clinic to stop messages; the practitioner does
    // it from the parent's record.
    let mut worker = signed_in(
        &app,
        "worker2@riverside.example",
        w.provider,
        Role::Practitioner,
    )
    .await;
    let referral = worker.get(&path).await.body;
    let parent = referral
        .match_indices("href=\"/people/")
        .map(|(at, _)| {
            let start = at + "href=\"".len();
            referral[start..start + referral[start..].find('"').unwrap()].to_string()
        })
        .find(|p| !referral.contains(&format!("{p}\">Ada")))
        .unwrap();
    let record = worker.get(&parent).await.body;
    assert!(record.contains("Stop messages to this family"), "{record}");
    let stopped = worker
        .post(&format!("{parent}/messages"), &[("messages", "stop")])
        .await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.body);
    assert!(
        worker
            .get(&parent)
            .await
            .body
            .contains("Start messages again")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"messages_stopped".to_string())
    );
    let index = opt_outs::phone_index(&app.state.keys, "07700 900982").unwrap();
    assert!(
        opt_outs::any_opted_out(app.store().conn(), &[index])
            .await
            .unwrap()
    );

    // When the reminders come due, none goes.
    days_pass(&app, 10, &mut [(&mut worker, "worker2@riverside.example")]).await;
    let clock: SharedClock = Arc::new(app.clock.clone());
    let round = deliver_due(app.store(), &clock, &messenger(&app))
        .await
        .unwrap();
    // Only the teacher's "accepted" email goes; both reminders are skipped.
    assert_eq!((round.sent, round.skipped), (1, 2), "{round:?}");
    let page = worker.get(&path).await.body;
    assert!(
        messages_section(&page).contains("the family opted out of reminders"),
        "{page}"
    );

    // Someone from an organisation with no part in the referral cannot.
    let other = app.organisation("Elsewhere").await;
    let mut stranger = signed_in(&app, "x@elsewhere.example", other, Role::Practitioner).await;
    stranger.get("/referrals").await;
    let refused = stranger
        .post(&format!("{parent}/messages"), &[("messages", "start")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_service_sets_its_reminders() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut worker = signed_in(
        &app,
        "worker@riverside.example",
        w.provider,
        Role::Practitioner,
    )
    .await;
    let list = worker.get("/referrals").await.body;
    assert!(list.contains("Appointment reminders"), "{list}");
    let path = format!("/referrals/services/{}/reminders", w.service);
    let saved = worker
        .post(
            &path,
            &[
                ("days", "14, 2"),
                ("phone", "01632 960 111"),
                ("sensitive", "yes"),
                ("name_allowed", "yes"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let now = settings::of_service(app.store().conn(), w.service)
        .await
        .unwrap();
    assert_eq!(now.days_before, vec![14, 2]);
    assert!(now.sensitive);
    assert!(!now.name_allowed, "a sensitive service is never named");
    assert_eq!(now.phone.as_deref(), Some("01632 960 111"));
    // Read back together with a service that has none set: the defaults.
    let unset = Uuid::now_v7();
    let both = settings::of_services(app.store().conn(), &[w.service, unset])
        .await
        .unwrap();
    assert_eq!(both[&w.service], now);
    assert_eq!(both[&unset], Default::default());

    let list = worker.get("/referrals").await.body;
    assert!(
        list.contains("14, 2") && list.contains("01632 960 111"),
        "the referrals page shows the saved settings: {list}"
    );
    let bad = worker.post(&path, &[("days", "0, 90")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        settings::of_service(app.store().conn(), w.service)
            .await
            .unwrap()
            .days_before,
        vec![14, 2],
        "nothing changed"
    );
    let mut teacher = signed_in(&app, "fsw@northgate.example", w.school, Role::Practitioner).await;
    teacher.get("/referrals").await;
    let refused = teacher.post(&path, &[("days", "1")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

async fn sent_notice(app: &TestApp) -> Uuid {
    let conn = app.store().conn();
    let notice = NewMessage::notice(
        MessageKind::ReferralReceived,
        "inbox@riverside.example".into(),
        Uuid::new_v4(),
        app.now(),
    );
    let id = outbox::enqueue(conn, &notice, app.now()).await.unwrap();
    let claimed = outbox::claim_due(conn, app.now(), Duration::minutes(5), 10)
        .await
        .unwrap();
    let sent_as = SentAs {
        channel: "email",
        subject: None,
        body: None,
        provider_id: Some(format!("notify-{id}")),
    };
    outbox::mark_sent(conn, &claimed[0], &sent_as, app.now())
        .await
        .unwrap();
    id
}

fn callback(path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn notify_receipts_are_checked_and_recorded_once() {
    let app = TestApp::new()
        .await
        .with_settings(|s| s.notify_callback_token = Secret::new("receipts-7f3a"));
    let id = sent_notice(&app).await;
    let receipt = format!(
        r#"{{"id":"notify-{id}","reference":"{id}","to":"inbox@riverside.example","status":"delivered","created_at":"2026-11-23T09:00:00.000000Z","completed_at":"2026-11-23T09:00:05.000000Z","sent_at":"2026-11-23T09:00:01.000000Z","notification_type":"email"}}"#
    );
    let status = |app: &TestApp| {
        let conn = app.store().conn().clone();
        async move { outbox::get(&conn, id).await.unwrap().unwrap() }
    };
    for token in [None, Some("wrong"), Some("receipts-7f3")] {
        let refused = app
            .send(callback("/callbacks/notify/status", token, &receipt))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{token:?}");
    }
    assert_eq!(status(&app).await.status, "sent", "nothing changed");

    let valid = app
        .send(callback(
            "/callbacks/notify/status",
            Some("receipts-7f3a"),
            &receipt,
        ))
        .await;
    assert_eq!(
        (valid.status, valid.body.as_str()),
        (StatusCode::OK, "Recorded")
    );
    let delivered = status(&app).await;
    assert_eq!(delivered.status, "delivered");
    assert_eq!(delivered.delivered_at, Some(app.now()));

    // Replayed later: acknowledged, nothing changes.
    app.clock.advance(Duration::hours(1));
    let replay = app
        .send(callback(
            "/callbacks/notify/status",
            Some("receipts-7f3a"),
            &receipt,
        ))
        .await;
    assert_eq!(
        (replay.status, replay.body.as_str()),
        (StatusCode::OK, "Already recorded")
    );
    assert_eq!(status(&app).await, delivered);

    // A late receipt about another send (a different Notify id) does not
    // touch this one.
    let other = sent_notice(&app).await;
    let stale =
        format!(r#"{{"id":"notify-old","reference":"{other}","status":"permanent-failure"}}"#);
    let ignored = app
        .send(callback(
            "/callbacks/notify/status",
            Some("receipts-7f3a"),
            &stale,
        ))
        .await;
    assert_eq!(ignored.body, "Already recorded");
    let still = outbox::get(app.store().conn(), other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, "sent");

    // A permanent failure is kept for staff; bad bodies change nothing.
    let failed =
        format!(r#"{{"id":"notify-{other}","reference":"{other}","status":"permanent-failure"}}"#);
    app.send(callback(
        "/callbacks/notify/status",
        Some("receipts-7f3a"),
        &failed,
    ))
    .await;
    let undelivered = outbox::get(app.store().conn(), other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(undelivered.status, "undelivered");
    assert!(undelivered.last_error.unwrap().contains("does not exist"));
    for body in [
        "not json",
        r#"{"id":"n3","reference":"x","status":"exploded"}"#,
    ] {
        let bad = app
            .send(callback(
                "/callbacks/notify/status",
                Some("receipts-7f3a"),
                body,
            ))
            .await;
        let expected = if body == "not json" {
            StatusCode::BAD_REQUEST
        } else {
            // Not a reference Convene gave: acknowledged, nothing done.
            StatusCode::OK
        };
        assert_eq!(bad.status, expected, "{body}");
    }
    let unknown = format!(r#"{{"id":"n4","reference":"{other}","status":"exploded"}}"#);
    let bad = app
        .send(callback(
            "/callbacks/notify/status",
            Some("receipts-7f3a"),
            &unknown,
        ))
        .await;
    assert_eq!(
        (bad.status, bad.body.as_str()),
        (StatusCode::OK, "Unknown status; nothing recorded")
    );
    assert_eq!(
        outbox::get(app.store().conn(), other)
            .await
            .unwrap()
            .unwrap()
            .status,
        "undelivered"
    );
}

#[tokio::test]
async fn callbacks_are_refused_when_not_set_up() {
    let app = TestApp::new().await;
    let reply = app
        .send(callback("/callbacks/notify/status", Some("anything"), "{}"))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stop_reply_opts_the_number_out() {
    let app = TestApp::new()
        .await
        .with_settings(|s| s.notify_callback_token = Secret::new("replies-22"));
    let index = opt_outs::phone_index(&app.state.keys, "07700 900982").unwrap();
    let reply = |message: &str| {
        format!(
            r#"{{"id":"r1","source_number":"447700900982","destination_number":"07700900000","message":"{message}","date_received":"2026-11-23T09:00:00.000000Z"}}"#
        )
    };
    let chat = app
        .send(callback(
            "/callbacks/notify/inbound",
            Some("replies-22"),
            &reply("See you on Tuesday"),
        ))
        .await;
    assert_eq!(chat.status, StatusCode::OK);
    assert!(
        !opt_outs::any_opted_out(app.store().conn(), std::slice::from_ref(&index))
            .await
            .unwrap()
    );
    let forged = app
        .send(callback("/callbacks/notify/inbound", None, &reply("STOP")))
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let stop = app
        .send(callback(
            "/callbacks/notify/inbound",
            Some("replies-22"),
            &reply("Stop"),
        ))
        .await;
    assert_eq!(
        (stop.status, stop.body.as_str()),
        (StatusCode::OK, "Stopped")
    );
    assert!(
        opt_outs::any_opted_out(app.store().conn(), &[index])
            .await
            .unwrap()
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"messages_stopped".to_string())
    );
}

#[tokio::test]
async fn prometheus_reads_the_message_counters_with_its_token() {
    let app = TestApp::new()
        .await
        .with_settings(|s| s.metrics_token = Secret::new("scrape-9"));
    sent_notice(&app).await;
    outbox::enqueue(
        app.store().conn(),
        &NewMessage::notice(
            MessageKind::ReferralAccepted,
            "office@northgate.example".into(),
            Uuid::new_v4(),
            app.now(),
        ),
        app.now(),
    )
    .await
    .unwrap();
    let scrape = |token: Option<&'static str>| {
        let mut request = Request::get("/metrics");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(app.send(scrape(None)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.send(scrape(Some("guess"))).await.status,
        StatusCode::NOT_FOUND
    );
    let metrics = app.send(scrape(Some("scrape-9"))).await;
    assert_eq!(metrics.status, StatusCode::OK);
    for line in [
        "convene_messages_queued_total 2",
        "convene_messages_sent_total 1",
        "convene_messages_failed_total 0",
        "convene_outbox_messages{status=\"queued\"} 1",
    ] {
        assert!(metrics.body.contains(line), "{line} in {}", metrics.body);
    }
}
