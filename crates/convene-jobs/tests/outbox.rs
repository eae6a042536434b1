//! The outbox: a message is queued in the transaction of the change that
//! causes it (and vanishes with it), delivered by the worker, retried with
//! backoff, given up when it cannot succeed, never claimed twice, and sent
//! once even when the worker dies between the provider taking it and the
//! outbox recording that. On both backends; two workers on one PostgreSQL
//! deliver a thousand messages with no duplicate and none missed.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use convene_domain::messaging::templates::MessageKind;
use convene_jobs::messaging::LogProvider;
use convene_store::messaging::outbox::NewMessage;
use convene_store::testing::TestDatabase;
use support::*;

/// Fails the first `failures` sends, temporarily or for good.
#[derive(Debug)]
struct Flaky {
    failures: usize,
    permanent: bool,
    calls: AtomicUsize,
}

impl Provider for Flaky {
    fn send<'a>(&'a self, _message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
                Err(NotSent {
                    reason: "the provider is busy".into(),
                    permanent: self.permanent,
                })
            } else {
                Ok(Accepted::default())
            }
        })
    }
}

fn notice(n: usize, referral: Uuid, at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        kind: MessageKind::ReferralReceived,
        recipient: format!("inbox{n}@provider.example"),
        referral_id: Some(referral),
        appointment: None,
        not_before: at,
    }
}

async fn organisation_with_email(store: &Store, id: Uuid, email: &str) {
    let mut org = organisations::get(store.conn(), id).await.unwrap().unwrap();
    org.details.email = Some(email.into());
    organisations::update(store.conn(), id, &org.details, t0())
        .await
        .unwrap();
}

store_test!(
    referral_notices_say_a_reference_and_a_link_and_nothing_about_the_family,
    |store| async move {
        let w = world(&store).await;
        organisation_with_email(&store, w.provider, "referrals@riverside.example").await;
        organisation_with_email(&store, w.school, "office@northgate.example").await;
        // Paused: sending is refused, and its message with it.
        convene_store::referrals::intake::set_intake(store.conn(), w.service, true, None)
            .await
            .unwrap();
        let id = draft(&store, &w).await;
        share(&store, &w, id, LawfulBasis::Consent).await;
        assert!(
            move_on(&store, &w, id, Transition::Send, w.school, t0())
                .await
                .is_err()
        );
        assert!(
            outbox::recent(store.conn(), None, 10)
                .await
                .unwrap()
                .is_empty()
        );

        convene_store::referrals::intake::set_intake(store.conn(), w.service, false, None)
            .await
            .unwrap();
        for (transition, by) in [
            (Transition::Send, w.school),
            (Transition::Open, w.provider),
            (Transition::Accept, w.provider),
        ] {
            move_on(&store, &w, id, transition, by, t0()).await.unwrap();
        }
        let appointment = book(&store, id, t0() + Duration::days(3), t0(), w.worker).await;
        change(
            &store,
            appointment,
            AppointmentChange::DidNotAttend,
            t0() + Duration::days(3) + Duration::minutes(20),
        )
        .await;

        let clock = ManualClock::new(t0() + Duration::days(4));
        let recorder = Recorder::new(Arc::new(clock.clone()));
        let messenger = messenger(recorder.clone(), &w);
        let shared: SharedClock = Arc::new(clock.clone());
        deliver_due(&store, &shared, &messenger).await.unwrap();
        let emails: Vec<_> = recorder
            .all()
            .into_iter()
            .filter(|h| h.message.channel == Channel::Email)
            .map(|h| h.message)
            .collect();
        let reference = convene_store::messaging::compose::reference(id);
        let subjects: Vec<_> = emails
            .iter()
            .map(|m| (m.to.as_str(), m.subject.as_str()))
            .collect();
        assert_eq!(
            subjects,
            vec![
                (
                    "referrals@riverside.example",
                    "A new referral for Parenting course"
                ),
                (
                    "office@northgate.example",
                    &*format!("Referral {reference} was accepted")
                ),
                (
                    "office@northgate.example",
                    &*format!("An appointment was missed (referral {reference})")
                ),
            ]
        );
        for email in &emails {
            assert!(
                email
                    .body
                    .contains(&format!("https://convene.example.org/referrals/{id}"))
            );
            for private in ["Ada", "Grace", "Okafor", "bedtimes"] {
                assert!(!email.body.contains(private), "{private} in {}", email.body);
            }
        }
        // Staff notices keep their text for the outbox page.
        let kept = outbox::of_referral(store.conn(), id).await.unwrap();
        assert!(
            kept.iter()
                .filter(|m| m.audience == "staff")
                .all(|m| !m.body.is_empty())
        );

        // The missed appointment's follow-up for the service is due in two
        // days; once overdue, the service is told once.
        assert_eq!(
            convene_store::messaging::notices::tell_overdue(store.conn(), t0() + Duration::days(4))
                .await
                .unwrap(),
            0
        );
        for _ in 0..2 {
            convene_store::messaging::notices::tell_overdue(store.conn(), t0() + Duration::days(6))
                .await
                .unwrap();
        }
        let overdue = outbox::of_referral(store.conn(), id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == "follow_up_overdue")
            .count();
        assert_eq!(overdue, 1);
    }
);

store_test!(
    delivery_retries_with_backoff_and_gives_up_when_it_cannot_succeed,
    |store| async move {
        let clock = ManualClock::new(t0());
        let shared: SharedClock = Arc::new(clock.clone());
        let referral = draft(&store, &world(&store).await).await;
        outbox::enqueue(store.conn(), &notice(1, referral, t0()), t0())
            .await
            .unwrap();
        let flaky = Arc::new(Flaky {
            failures: 1,
            permanent: false,
            calls: AtomicUsize::new(0),
        });
        let m = Messenger {
            provider: flaky,
            keys: None,
            base_url: "https://convene.example.org".into(),
        };
        let first = deliver_due(&store, &shared, &m).await.unwrap();
        assert_eq!((first.sent, first.retrying), (0, 1));
        clock.advance(Duration::seconds(30));
        assert_eq!(
            deliver_due(&store, &shared, &m).await.unwrap().sent,
            0,
            "not before the backoff"
        );
        clock.advance(Duration::seconds(31));
        assert_eq!(deliver_due(&store, &shared, &m).await.unwrap().sent, 1);
        let sent = &outbox::recent(store.conn(), None, 10).await.unwrap()[0];
        assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 2));
        assert_eq!(
            deliver_due(&store, &shared, &m).await.unwrap(),
            Default::default(),
            "sent once"
        );

        outbox::enqueue(store.conn(), &notice(2, referral, clock.now()), clock.now())
            .await
            .unwrap();
        let broken = Messenger {
            provider: Arc::new(Flaky {
                failures: 100,
                permanent: true,
                calls: AtomicUsize::new(0),
            }),
            ..m
        };
        assert_eq!(
            deliver_due(&store, &shared, &broken).await.unwrap().failed,
            1
        );
        let failed = outbox::recent(store.conn(), Some("failed"), 10)
            .await
            .unwrap();
        assert_eq!(
            failed[0].last_error.as_deref(),
            Some("the provider is busy")
        );
        // An administrator sends it again.
        outbox::retry(store.conn(), failed[0].id, clock.now())
            .await
            .unwrap();
        assert!(
            outbox::retry(store.conn(), failed[0].id, clock.now())
                .await
                .is_err()
        );
        assert_eq!(
            outbox::recent(store.conn(), Some("queued"), 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
);

/// Takes every message and, asked later, reports what it was told to.
#[derive(Debug)]
struct Reports(convene_domain::messaging::delivery::DeliveryReport);

impl Provider for Reports {
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            Ok(Accepted {
                provider_id: Some(format!("p-{}", message.reference)),
            })
        })
    }

    fn report<'a>(
        &'a self,
        _provider_id: &'a str,
    ) -> Pending<'a, Option<convene_domain::messaging::delivery::DeliveryReport>> {
        Box::pin(async move { Ok(Some(self.0.clone())) })
    }
}

store_test!(
    delivery_is_polled_where_no_receipt_came,
    |store| async move {
        use convene_domain::messaging::delivery::DeliveryReport;
        let clock = ManualClock::new(t0());
        let shared: SharedClock = Arc::new(clock.clone());
        let referral = draft(&store, &world(&store).await).await;
        let id = outbox::enqueue(store.conn(), &notice(1, referral, t0()), t0())
            .await
            .unwrap();
        let delivers = Reports(DeliveryReport::Delivered);
        let m = Messenger {
            provider: Arc::new(Reports(DeliveryReport::Pending)),
            keys: None,
            base_url: "https://convene.example.org".into(),
        };
        deliver_due(&store, &shared, &m).await.unwrap();
        assert_eq!(
            outbox::get(store.conn(), id).await.unwrap().unwrap().status,
            "sent"
        );
        // Not before ten minutes; then still pending; then delivered.
        let pending = Reports(DeliveryReport::Pending);
        let poll = convene_jobs::messaging::poll_reports;
        assert_eq!(poll(&store, &shared, &pending).await.unwrap(), 0);
        clock.advance(Duration::minutes(11));
        assert_eq!(poll(&store, &shared, &pending).await.unwrap(), 0);
        assert_eq!(
            outbox::get(store.conn(), id).await.unwrap().unwrap().status,
            "sent"
        );
        clock.advance(Duration::minutes(31));
        assert_eq!(poll(&store, &shared, &delivers).await.unwrap(), 1);
        let message = outbox::get(store.conn(), id).await.unwrap().unwrap();
        assert_eq!(message.status, "delivered");
        assert_eq!(message.delivered_at, Some(clock.now()));
    }
);

store_test!(
    the_log_provider_prints_but_reports_nothing_delivered,
    |store| async move {
        let clock = ManualClock::new(t0());
        let shared: SharedClock = Arc::new(clock.clone());
        let referral = draft(&store, &world(&store).await).await;
        let id = outbox::enqueue(store.conn(), &notice(1, referral, t0()), t0())
            .await
            .unwrap();
        let m = Messenger::log("https://convene.example.org");
        deliver_due(&store, &shared, &m).await.unwrap();
        clock.advance(Duration::hours(1));
        convene_jobs::messaging::poll_reports(&store, &shared, &LogProvider)
            .await
            .unwrap();
        let message = outbox::get(store.conn(), id).await.unwrap().unwrap();
        assert_eq!(
            (message.status.as_str(), message.provider_id),
            ("sent", None)
        );
    }
);

/// A provider that takes the message and then never answers: the worker
/// is stopped while it waits, as if killed between the provider accepting
/// and the outbox recording.
#[derive(Debug)]
struct TakesThenHangs {
    inner: Arc<Recorder>,
    taken: tokio::sync::Notify,
}

impl Provider for TakesThenHangs {
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            let accepted = self.inner.send(message).await?;
            self.taken.notify_one();
            std::future::pending::<()>().await;
            Ok(accepted)
        })
    }
}

/// Runs a worker whose provider takes the first message it is handed and
/// never answers, and kills the worker once the provider has it.
async fn kill_worker_mid_send(
    store: &Store,
    shared: &SharedClock,
    w: &World,
    inner: Arc<Recorder>,
) {
    let hanging = Arc::new(TakesThenHangs {
        inner,
        taken: tokio::sync::Notify::new(),
    });
    let worker = {
        let (store, shared, m) = (store.clone(), shared.clone(), messenger(hanging.clone(), w));
        tokio::spawn(async move { deliver_due(&store, &shared, &m).await })
    };
    hanging.taken.notified().await;
    worker.abort();
    assert!(worker.await.unwrap_err().is_cancelled());
}

store_test!(
    a_worker_killed_after_the_provider_took_a_text_does_not_send_it_twice,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let referral = accepted_referral(&store, &w, t0()).await;
        book(&store, referral, t0() + Duration::days(2), t0(), w.worker).await;
        let clock = ManualClock::new(t0() + Duration::days(1));
        let shared: SharedClock = Arc::new(clock.clone());
        let recorder = Recorder::new(shared.clone());
        kill_worker_mid_send(&store, &shared, &w, recorder.clone()).await;
        assert_eq!(recorder.texts().len(), 1, "the provider has it");
        let unrecorded = &reminders_of(&store, referral).await[0];
        assert_eq!(
            (unrecorded.status.as_str(), unrecorded.claims),
            ("queued", 1)
        );

        // A new worker, once the dead one's lease lapses.
        clock.advance(Duration::minutes(6));
        let m = messenger(recorder.clone(), &w);
        let round = deliver_due(&store, &shared, &m).await.unwrap();
        assert_eq!(round.sent, 1);
        assert_eq!(recorder.texts().len(), 1, "the family gets one text");
        let recorded = &reminders_of(&store, referral).await[0];
        assert_eq!(recorded.status, "sent");
        assert_eq!(
            recorded.provider_id.as_deref(),
            Some(&*format!("rec-{}", recorded.id))
        );

        // Without the provider's memory the same crash sends twice: the
        // check above is what prevents it.
        book(
            &store,
            referral,
            t0() + Duration::days(2) + Duration::hours(2),
            t0() + Duration::days(1),
            w.worker,
        )
        .await;
        clock.advance(Duration::hours(2));
        let forgetful = Arc::new(Recorder {
            clock: shared.clone(),
            handed: Default::default(),
            remembers: false,
        });
        kill_worker_mid_send(&store, &shared, &w, forgetful.clone()).await;
        clock.advance(Duration::minutes(6));
        deliver_due(&store, &shared, &messenger(forgetful.clone(), &w))
            .await
            .unwrap();
        assert_eq!(forgetful.texts().len(), 2);
    }
);

/// Counts every message handed to it, by reference.
#[derive(Debug, Default)]
struct Counter {
    seen: std::sync::Mutex<HashMap<Uuid, usize>>,
}

impl Provider for Counter {
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            *self
                .seen
                .lock()
                .unwrap()
                .entry(message.reference)
                .or_default() += 1;
            Ok(Accepted::default())
        })
    }
}

/// Two workers, each with its own connection pool, on one PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_postgresql_deliver_a_thousand_messages_once_each() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    let (first, second) = (db.store().await, db.store().await);
    let referral = draft(&first, &world(&first).await).await;
    let mut queued = Vec::new();
    for n in 0..1000 {
        let message = notice(n, referral, t0());
        queued.push(outbox::enqueue(first.conn(), &message, t0()).await.unwrap());
    }
    let counter = Arc::new(Counter::default());
    let clock: SharedClock = Arc::new(ManualClock::new(t0()));
    let m = Messenger {
        provider: counter.clone(),
        keys: None,
        base_url: "https://convene.example.org".into(),
    };
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(
        deliver_due(&first, &clock, &m),
        deliver_due(&second, &clock, &m)
    );
    // Printed for the record, never asserted.
    eprintln!(
        "two workers delivered 1000 messages in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 1000);
    assert!(
        a.sent > 0 && b.sent > 0,
        "both worked: {} and {}",
        a.sent,
        b.sent
    );
    let seen = counter.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1000, "none missed");
    assert!(seen.values().all(|n| *n == 1), "no duplicate");
    assert!(queued.iter().all(|id| seen.contains_key(id)));
    let sent = outbox::recent(first.conn(), Some("sent"), 2000)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1000);
    db.finish().await;
}

store_test!(
    two_claimers_never_take_the_same_message,
    |store| async move {
        for n in 0..20 {
            let message = notice(n, Uuid::nil(), t0());
            outbox::enqueue(store.conn(), &message, t0()).await.unwrap();
        }
        let (a, b) = tokio::join!(
            outbox::claim_due(store.conn(), t0(), Duration::minutes(5), 20),
            outbox::claim_due(store.conn(), t0(), Duration::minutes(5), 20),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut ids: Vec<Uuid> = a.iter().chain(b.iter()).map(|m| m.id).collect();
        let total = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(
            (ids.len(), total),
            (20, 20),
            "each message claimed exactly once"
        );
        // Leased: nothing more to claim until the lease lapses.
        assert!(
            outbox::claim_due(store.conn(), t0(), Duration::minutes(5), 20)
                .await
                .unwrap()
                .is_empty()
        );
        let again = outbox::claim_due(
            store.conn(),
            t0() + Duration::minutes(6),
            Duration::minutes(5),
            50,
        )
        .await
        .unwrap();
        assert_eq!(again.len(), 20);
        assert!(again.iter().all(|m| m.maybe_sent_before()));
    }
);

store_test!(
    a_worker_whose_claim_lapsed_does_not_send,
    |store| async move {
        let referral = draft(&store, &world(&store).await).await;
        outbox::enqueue(store.conn(), &notice(1, referral, t0()), t0())
            .await
            .unwrap();
        let slow = outbox::claim_due(store.conn(), t0(), Duration::minutes(5), 10)
            .await
            .unwrap();
        // The slow worker's lease lapses and another takes the message.
        let later = t0() + Duration::minutes(6);
        let quick = outbox::claim_due(store.conn(), later, Duration::minutes(5), 10)
            .await
            .unwrap();
        assert_eq!(quick.len(), 1);
        assert!(
            !outbox::still_mine(store.conn(), &slow[0], later, Duration::minutes(5))
                .await
                .unwrap()
        );
        assert!(
            outbox::still_mine(store.conn(), &quick[0], later, Duration::minutes(5))
                .await
                .unwrap()
        );
        // The slow worker's late record changes nothing.
        let sent_as = outbox::SentAs {
            channel: "email",
            subject: None,
            body: None,
            provider_id: None,
        };
        outbox::mark_sent(store.conn(), &slow[0], &sent_as, later)
            .await
            .unwrap();
        let message = outbox::get(store.conn(), slow[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(message.status, "queued");
        outbox::mark_sent(store.conn(), &quick[0], &sent_as, later)
            .await
            .unwrap();
        let message = outbox::get(store.conn(), slow[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(message.status, "sent");
    }
);
