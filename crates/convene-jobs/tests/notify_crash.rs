//! A worker killed between GOV.UK Notify accepting a text and the outbox
//! recording it, end to end through the real Notify client against the
//! stand-in for Notify's API: the stand-in keeps the text and never
//! answers, the worker is stopped while it waits, and a restarted worker
//! asks Notify for the outbox id before sending, so the family gets one
//! text. Without that lookup the same crash sends two; with Notify down
//! for the lookup, nothing is sent until Notify can answer. On both
//! backends.

mod support;

use std::sync::Arc;

use convene_jobs::messaging::notify::NotifyProvider;
use support::fake_notify::{
    FakeNotify, Recorded, SECRET, SERVICE_ID, SMS_TEMPLATE, bearer, config, decode_claims,
};
use support::*;

/// Notify's client as a worker builds it, pointed at the stand-in. The
/// timeout is generous: a held answer is the worker dying, not Notify
/// being slow.
fn notify_client(notify: &FakeNotify) -> NotifyProvider {
    let mut config = config(&notify.url(), SECRET);
    config.timeout = std::time::Duration::from_secs(30);
    NotifyProvider::new(config).unwrap()
}

/// The Notify client with its lookup taken away: sends as Notify's client
/// does, never finds anything.
#[derive(Debug)]
struct WithoutLookup(NotifyProvider);

impl Provider for WithoutLookup {
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        self.0.send(message)
    }

    fn find<'a>(&'a self, _reference: Uuid) -> Pending<'a, Option<Accepted>> {
        Box::pin(async { Ok(None) })
    }
}

/// The texts posted to the stand-in with `reference`.
fn posts_for(notify: &FakeNotify, reference: Uuid) -> Vec<Recorded> {
    notify
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/notifications/sms")
        .filter(|r| r.body["reference"] == reference.to_string())
        .collect()
}

/// The lookups the stand-in was asked for `reference`.
fn lookups_for(notify: &FakeNotify, reference: Uuid) -> Vec<Recorded> {
    notify
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/v2/notifications")
        .filter(|r| r.query.as_deref() == Some(&*format!("reference={reference}")))
        .collect()
}

/// The stand-in's ids for what it took with `reference`.
fn taken_for(notify: &FakeNotify, reference: Uuid) -> Vec<String> {
    notify
        .stored()
        .into_iter()
        .filter(|n| n.reference == reference.to_string())
        .map(|n| n.id.to_string())
        .collect()
}

/// A request signed as Notify expects: HS256 with the service's secret,
/// issued by the service.
fn assert_signed(request: &Recorded) {
    let claims = decode_claims(&bearer(request), SECRET).expect("signed with the secret");
    assert_eq!(claims["iss"], SERVICE_ID);
    assert!(claims["iat"].is_i64());
}

/// What the crash left behind.
struct Crashed {
    w: World,
    clock: ManualClock,
    shared: SharedClock,
    notify: FakeNotify,
    /// The reminder Notify took and the outbox never recorded.
    reminder: Uuid,
}

/// A family with a phone, an accepted referral and an appointment the day
/// after tomorrow, so a reminder is due; the worker posts it to Notify,
/// Notify keeps it and never answers, and the worker is killed.
async fn crash_while_notify_answers(store: &Store) -> Crashed {
    let w = world(store).await;
    family_contact(store, &w, |_| {}).await;
    let referral = accepted_referral(store, &w, t0()).await;
    book(store, referral, t0() + Duration::days(2), t0(), w.worker).await;
    let clock = ManualClock::new(t0() + Duration::days(1));
    let shared: SharedClock = Arc::new(clock.clone());
    let notify = FakeNotify::start().await;
    notify.hold_next_send();

    let worker = {
        let (store, shared) = (store.clone(), shared.clone());
        let m = messenger(Arc::new(notify_client(&notify)), &w);
        tokio::spawn(async move { deliver_due(&store, &shared, &m).await })
    };
    notify.taken().await;
    worker.abort();
    assert!(worker.await.unwrap_err().is_cancelled());

    let stored = notify.stored();
    assert_eq!(stored.len(), 1, "Notify took one notification");
    let reminder: Uuid = stored[0].reference.parse().unwrap();
    assert!(
        reminders_of(store, referral)
            .await
            .iter()
            .any(|m| m.id == reminder),
        "what Notify took is the family's reminder"
    );
    let unrecorded = outbox::get(store.conn(), reminder).await.unwrap().unwrap();
    assert_eq!(
        (
            unrecorded.status.as_str(),
            unrecorded.claims,
            unrecorded.attempts
        ),
        ("queued", 1, 0),
        "the outbox does not know Notify took it"
    );
    assert_eq!(unrecorded.provider_id, None);
    assert_eq!(posts_for(&notify, reminder).len(), 1);

    // The dead worker's lease lapses.
    clock.advance(Duration::minutes(6));
    Crashed {
        w,
        clock,
        shared,
        notify,
        reminder,
    }
}

store_test!(
    a_worker_killed_while_notify_answers_sends_the_family_one_text,
    |store| async move {
        let Crashed {
            w,
            clock,
            shared,
            notify,
            reminder,
        } = crash_while_notify_answers(&store).await;

        // A restarted worker, with a Notify client of its own.
        let restarted = messenger(Arc::new(notify_client(&notify)), &w);
        let round = deliver_due(&store, &shared, &restarted).await.unwrap();
        assert_eq!(round.sent, 1, "{round:?}");

        let posts = posts_for(&notify, reminder);
        assert_eq!(posts.len(), 1, "the family gets one text");
        let lookups = lookups_for(&notify, reminder);
        assert!(!lookups.is_empty(), "the restarted worker asked Notify");
        let taken = taken_for(&notify, reminder);
        assert_eq!(taken.len(), 1);
        let recorded = outbox::get(store.conn(), reminder).await.unwrap().unwrap();
        assert_eq!(recorded.status, "sent");
        assert_eq!(recorded.provider_id.as_deref(), Some(&*taken[0]));
        assert_eq!(recorded.sent_at, Some(clock.now()));

        // The one text, and the lookup, as Notify expects them.
        let text = &posts[0];
        assert_signed(text);
        assert_signed(&lookups[0]);
        assert_eq!(text.body["reference"], reminder.to_string());
        assert_eq!(text.body["phone_number"], PHONE);
        assert_eq!(text.body["template_id"], SMS_TEMPLATE);
        let body = text.body["personalisation"]["body"]
            .as_str()
            .expect("a body");
        assert_safe_text(body);
        assert!(body.contains("Grace"), "{body}");
        assert!(text.body.get("email_address").is_none());

        // Nothing is sent again later.
        clock.advance(Duration::hours(1));
        let later = deliver_due(&store, &shared, &restarted).await.unwrap();
        assert_eq!(later.sent, 0, "{later:?}");
        assert_eq!(posts_for(&notify, reminder).len(), 1);
    }
);

store_test!(
    without_the_lookup_the_same_crash_would_send_twice,
    |store| async move {
        let Crashed {
            w,
            shared,
            notify,
            reminder,
            ..
        } = crash_while_notify_answers(&store).await;

        let forgetful = WithoutLookup(notify_client(&notify));
        let restarted = messenger(Arc::new(forgetful), &w);
        deliver_due(&store, &shared, &restarted).await.unwrap();

        // The lookup is what prevents this.
        assert_eq!(posts_for(&notify, reminder).len(), 2);
        assert!(lookups_for(&notify, reminder).is_empty());
        let taken = taken_for(&notify, reminder);
        assert_eq!(taken.len(), 2, "Notify took the text twice");
        let recorded = outbox::get(store.conn(), reminder).await.unwrap().unwrap();
        assert_eq!(recorded.status, "sent");
        assert_eq!(recorded.provider_id.as_deref(), Some(&*taken[1]));
    }
);

store_test!(
    a_notify_outage_on_lookup_retries_later_without_sending,
    |store| async move {
        let Crashed {
            w,
            clock,
            shared,
            notify,
            reminder,
        } = crash_while_notify_answers(&store).await;

        // Notify cannot say whether it took the text: the restarted worker
        // does not guess.
        notify.fail_lookups(true);
        let restarted = messenger(Arc::new(notify_client(&notify)), &w);
        let round = deliver_due(&store, &shared, &restarted).await.unwrap();
        assert_eq!(round.sent, 0, "{round:?}");
        assert!(round.retrying >= 1, "{round:?}");
        assert_eq!(lookups_for(&notify, reminder).len(), 1);
        assert_eq!(posts_for(&notify, reminder).len(), 1, "not sent again");
        let waiting = outbox::get(store.conn(), reminder).await.unwrap().unwrap();
        assert_eq!((waiting.status.as_str(), waiting.attempts), ("queued", 1));
        assert_eq!(waiting.provider_id, None);
        let error = waiting.last_error.as_deref().unwrap_or_default();
        assert!(error.contains("GOV.UK Notify"), "{error}");

        // Notify is back; once the backoff passes, the worker asks again,
        // finds the text and records it.
        notify.fail_lookups(false);
        clock.advance(Duration::minutes(2));
        let round = deliver_due(&store, &shared, &restarted).await.unwrap();
        assert_eq!(round.sent, 1, "{round:?}");
        assert_eq!(lookups_for(&notify, reminder).len(), 2);
        assert_eq!(posts_for(&notify, reminder).len(), 1, "still one text");
        let taken = taken_for(&notify, reminder);
        assert_eq!(taken.len(), 1);
        let recorded = outbox::get(store.conn(), reminder).await.unwrap().unwrap();
        assert_eq!(recorded.status, "sent");
        assert_eq!(recorded.provider_id.as_deref(), Some(&*taken[0]));
        assert_eq!(recorded.attempts, 2);
    }
);

store_test!(
    a_text_notify_took_but_answered_too_late_for_is_not_sent_again,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let referral = accepted_referral(&store, &w, t0()).await;
        book(&store, referral, t0() + Duration::days(2), t0(), w.worker).await;
        let clock = ManualClock::new(t0() + Duration::days(1));
        let shared: SharedClock = Arc::new(clock.clone());
        let notify = FakeNotify::start().await;
        notify.hold_next_send();
        // Notify keeps the text but the client stops waiting.
        let mut impatient = config(&notify.url(), SECRET);
        impatient.timeout = std::time::Duration::from_millis(300);
        let m = messenger(Arc::new(NotifyProvider::new(impatient).unwrap()), &w);
        let round = deliver_due(&store, &shared, &m).await.unwrap();
        assert_eq!((round.sent, round.retrying), (0, 1), "{round:?}");
        let reminder: Uuid = notify.stored()[0].reference.parse().unwrap();

        // The retry asks Notify first, finds the text and records it.
        clock.advance(Duration::minutes(2));
        let round = deliver_due(&store, &shared, &m).await.unwrap();
        assert_eq!(round.sent, 1, "{round:?}");
        assert_eq!(posts_for(&notify, reminder).len(), 1, "one text");
        assert_eq!(lookups_for(&notify, reminder).len(), 1);
        let recorded = outbox::get(store.conn(), reminder).await.unwrap().unwrap();
        assert_eq!(recorded.status, "sent");
    }
);
