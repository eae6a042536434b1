//! The outbox: a message is queued in the transaction of the change that
//! causes it (and vanishes with it), delivered by the worker, retried with
//! backoff, given up when it cannot succeed, and never claimed twice. On
//! both backends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, TimeZone, Utc};
use convene_domain::clock::{Clock, ManualClock, SharedClock};
use convene_domain::directory::parse_service;
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_domain::people::PersonDetails;
use convene_domain::people::sharing::{LawfulBasis, Share, SharedItem};
use convene_domain::referrals::Urgency;
use convene_domain::sealing::DataKeys;
use convene_jobs::messaging::{NotSent, Provider, Sending, deliver_due};
use convene_store::directory::services;
use convene_store::messaging::outbox::{self, Message};
use convene_store::referrals::intake::{Child, Intake, set_intake, take_in};
use convene_store::{Store, organisations, store_test};
use serde_json::json;
use uuid::Uuid;

/// Fails the first `failures` sends, temporarily or for good.
#[derive(Debug)]
struct Flaky {
    failures: usize,
    permanent: bool,
    calls: AtomicUsize,
}

impl Provider for Flaky {
    fn send<'a>(&'a self, _message: &'a Message) -> Sending<'a> {
        Box::pin(async move {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
                Err(NotSent {
                    reason: "the provider is busy".into(),
                    permanent: self.permanent,
                })
            } else {
                Ok(())
            }
        })
    }
}

async fn setup(store: &Store) -> (DataKeys, Uuid, Uuid, Uuid) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let keys = DataKeys::parse(
        &format!("k:{}", DataKeys::generate_key().unwrap()),
        "k",
        &DataKeys::generate_key().unwrap(),
    )
    .unwrap();
    let (school, provider) = (new_id(), new_id());
    for (id, name, email) in [
        (school, "Northgate Primary", None),
        (
            provider,
            "Riverside Family Support",
            Some("referrals@riverside.example"),
        ),
    ] {
        let details = OrganisationDetails {
            name: name.into(),
            kind: OrganisationKind::Other,
            email: email.map(str::to_string),
            phone: None,
            website: None,
            address: None,
        };
        organisations::insert(store.conn(), id, &details, t0)
            .await
            .unwrap();
    }
    let service = new_id();
    let record = parse_service(
        &json!({ "id": service.to_string(), "name": "Parenting course", "status": "active",
        "organization": { "id": provider.to_string(), "name": "Riverside Family Support" } }),
    )
    .unwrap();
    store
        .transaction(move |txn| {
            Box::pin(async move { services::upsert(txn, &record, "local", t0).await })
        })
        .await
        .unwrap();
    (keys, school, service, provider)
}

fn intake(school: Uuid, service: Uuid, provider: Uuid) -> Intake {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    Intake {
        referral_id: new_id(),
        organisation: school,
        referred_by: new_id(),
        service_id: service,
        child: Child::New(PersonDetails {
            given_name: "Ada".into(),
            family_name: "Okafor".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(2019, 5, 1),
            phone: None,
            email: None,
            contact_preference: None,
            preferred_language: None,
            school: None,
            postcode: None,
        }),
        parent: None,
        urgency: Urgency::Routine,
        reason: "Bedtimes".into(),
        needs: vec![],
        share: Share {
            basis: LawfulBasis::Consent,
            health_condition: None,
            purpose: "To offer a place".into(),
            recipient_organisation: provider,
            items: vec![SharedItem::Name],
            justification: None,
            privacy_notice_version: "2026-11".into(),
            decided_by: new_id(),
            decided_at: t0,
        },
        send: true,
    }
}

store_test!(
    a_sent_referral_queues_one_message_and_a_refused_one_none,
    |store| async move {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let (keys, school, service, provider) = setup(&store).await;
        // Paused: the whole intake is refused, its message with it.
        set_intake(store.conn(), service, true, None).await.unwrap();
        let (k, i) = (keys.clone(), intake(school, service, provider));
        assert!(
            store
                .transaction(move |txn| Box::pin(async move { take_in(txn, &k, i, t0).await }))
                .await
                .is_err()
        );
        assert!(outbox::recent(store.conn(), 10).await.unwrap().is_empty());

        set_intake(store.conn(), service, false, None)
            .await
            .unwrap();
        let (k, i) = (keys.clone(), intake(school, service, provider));
        store
            .transaction(move |txn| Box::pin(async move { take_in(txn, &k, i, t0).await }))
            .await
            .unwrap();
        let queued = outbox::recent(store.conn(), 10).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].recipient, "referrals@riverside.example");
        assert_eq!(queued[0].subject, "A new referral for Parenting course");
        assert!(
            !queued[0].body.contains("Ada") && !queued[0].body.contains("Bedtimes"),
            "nothing about the family"
        );
    }
);

store_test!(
    delivery_retries_with_backoff_and_gives_up_when_it_cannot_succeed,
    |store| async move {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let clock = ManualClock::new(t0);
        let shared: SharedClock = Arc::new(clock.clone());
        let message = outbox::NewMessage {
            channel: "email",
            recipient: "a@b.example".into(),
            subject: "s".into(),
            body: "b".into(),
            referral_id: None,
        };
        outbox::enqueue(store.conn(), &message, t0).await.unwrap();
        let flaky = Flaky {
            failures: 1,
            permanent: false,
            calls: AtomicUsize::new(0),
        };
        let first = deliver_due(&store, &shared, &flaky).await.unwrap();
        assert_eq!((first.sent, first.retrying), (0, 1));
        clock.advance(Duration::seconds(30));
        assert_eq!(
            deliver_due(&store, &shared, &flaky).await.unwrap().sent,
            0,
            "not before the backoff"
        );
        clock.advance(Duration::seconds(31));
        assert_eq!(deliver_due(&store, &shared, &flaky).await.unwrap().sent, 1);
        let sent = &outbox::recent(store.conn(), 10).await.unwrap()[0];
        assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 2));
        assert_eq!(
            deliver_due(&store, &shared, &flaky).await.unwrap(),
            Default::default(),
            "sent once"
        );

        outbox::enqueue(store.conn(), &message, clock.now())
            .await
            .unwrap();
        let broken = Flaky {
            failures: 100,
            permanent: true,
            calls: AtomicUsize::new(0),
        };
        assert_eq!(
            deliver_due(&store, &shared, &broken).await.unwrap().failed,
            1
        );
        let failed = outbox::recent(store.conn(), 10)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.status == "failed")
            .unwrap();
        assert_eq!(failed.last_error.as_deref(), Some("the provider is busy"));
    }
);

store_test!(
    two_workers_never_claim_the_same_message,
    |store| async move {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        for n in 0..20 {
            let message = outbox::NewMessage {
                channel: "email",
                recipient: format!("{n}@b.example"),
                subject: "s".into(),
                body: "b".into(),
                referral_id: None,
            };
            outbox::enqueue(store.conn(), &message, t0).await.unwrap();
        }
        let (a, b) = tokio::join!(
            outbox::claim_due(store.conn(), t0, Duration::minutes(5), 20),
            outbox::claim_due(store.conn(), t0, Duration::minutes(5), 20),
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
            outbox::claim_due(store.conn(), t0, Duration::minutes(5), 20)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            outbox::claim_due(
                store.conn(),
                t0 + Duration::minutes(6),
                Duration::minutes(5),
                50
            )
            .await
            .unwrap()
            .len(),
            20
        );
    }
);
