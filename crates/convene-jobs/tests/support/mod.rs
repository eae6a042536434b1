//! What the messaging tests share: the store tests' referral world, a
//! family with a phone, an accepted referral, and a provider that records
//! every message (and remembers references, as GOV.UK Notify lets Convene
//! search by them).

#![allow(dead_code, unused_imports)]

#[path = "../../../convene-store/tests/common/mod.rs"]
mod common;
pub use common::*;
pub mod fake_notify;

use std::sync::{Arc, Mutex};

pub use convene_domain::clock::{Clock, ManualClock, SharedClock};
pub use convene_domain::messaging::delivery::Channel;
pub use convene_jobs::messaging::{
    Accepted, Messenger, NotSent, Outgoing, Pending, Provider, deliver_due,
};
pub use convene_store::messaging::outbox::{self, Message};

/// The parent's mobile, as staff typed it.
pub const PHONE: &str = "07700 900123";

/// What the recorder was handed, and when.
#[derive(Debug, Clone)]
pub struct Handed {
    pub at: DateTime<Utc>,
    pub message: Outgoing,
}

/// A provider that records every message; `find` answers from what it
/// was handed, by reference.
#[derive(Debug)]
pub struct Recorder {
    pub clock: SharedClock,
    pub handed: Mutex<Vec<Handed>>,
    pub remembers: bool,
}

impl Recorder {
    pub fn new(clock: SharedClock) -> Arc<Self> {
        Arc::new(Self {
            clock,
            handed: Mutex::new(Vec::new()),
            remembers: true,
        })
    }

    pub fn texts(&self) -> Vec<Handed> {
        self.handed
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.message.channel == Channel::Sms)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Handed> {
        self.handed.lock().unwrap().clone()
    }
}

impl Provider for Recorder {
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            // Every text any test sends is checked for what must never be
            // in one: the family name, the child's name, a date of birth.
            if message.channel == Channel::Sms {
                assert_safe_text(&message.body);
            }
            self.handed.lock().unwrap().push(Handed {
                at: self.clock.now(),
                message: message.clone(),
            });
            Ok(Accepted {
                provider_id: Some(format!("rec-{}", message.reference)),
            })
        })
    }

    fn find<'a>(&'a self, reference: Uuid) -> Pending<'a, Option<Accepted>> {
        Box::pin(async move {
            let found = self.remembers
                && self
                    .handed
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|h| h.message.reference == reference);
            Ok(found.then(|| Accepted {
                provider_id: Some(format!("rec-{reference}")),
            }))
        })
    }
}

/// Nothing in a text but the recipient's first name: not the family
/// name, not the child's name, not the child's date of birth. (Sensitive
/// services' texts are checked where they are sent.)
pub fn assert_safe_text(body: &str) {
    for banned in ["Okafor", "Ada", "2018", "1 May", "01/05"] {
        assert!(!body.contains(banned), "a text contains {banned:?}: {body}");
    }
}

pub fn messenger(provider: Arc<dyn Provider>, w: &World) -> Messenger {
    Messenger {
        provider,
        keys: Some(Arc::new(w.keys.clone())),
        base_url: "https://convene.example.org".into(),
    }
}

/// Gives the parent a phone (and optionally other details).
pub async fn family_contact(store: &Store, w: &World, change: impl FnOnce(&mut PersonDetails)) {
    let mut details = records::get(store.conn(), &w.keys, w.parent)
        .await
        .unwrap()
        .unwrap()
        .details;
    details.phone = Some(PHONE.into());
    change(&mut details);
    records::update(store.conn(), &w.keys, w.parent, &details, t0())
        .await
        .unwrap();
}

/// A referral sent with consent and accepted, at `at`.
pub async fn accepted_referral(store: &Store, w: &World, at: DateTime<Utc>) -> Uuid {
    let id = draft(store, w).await;
    share(store, w, id, LawfulBasis::Consent).await;
    move_on(store, w, id, Transition::Send, w.school, at)
        .await
        .unwrap();
    move_on(store, w, id, Transition::Open, w.provider, at)
        .await
        .unwrap();
    move_on(store, w, id, Transition::Accept, w.provider, at)
        .await
        .unwrap();
    id
}

pub async fn book(
    store: &Store,
    referral: Uuid,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    by: Uuid,
) -> Uuid {
    let booking = Booking {
        id: new_id(),
        referral_id: referral,
        starts_at,
        duration_minutes: 45,
        mode: AppointmentMode::InPerson,
        place: Some("Room 2".into()),
        booked_by: by,
    };
    let id = booking.id;
    store
        .transaction(move |txn| {
            Box::pin(async move { appointments::book(txn, &booking, now).await })
        })
        .await
        .unwrap();
    id
}

pub async fn change(
    store: &Store,
    appointment: Uuid,
    change: AppointmentChange,
    now: DateTime<Utc>,
) {
    let version = appointments::get(store.conn(), appointment)
        .await
        .unwrap()
        .unwrap()
        .version;
    store
        .transaction(move |txn| {
            Box::pin(
                async move { appointments::change(txn, appointment, version, change, now).await },
            )
        })
        .await
        .unwrap();
}

/// Runs the worker's delivery every `step` from the clock's time to `until`.
pub async fn run_until(
    store: &Store,
    clock: &ManualClock,
    messenger: &Messenger,
    until: DateTime<Utc>,
    step: Duration,
) {
    let shared: SharedClock = Arc::new(clock.clone());
    while clock.now() <= until {
        deliver_due(store, &shared, messenger).await.unwrap();
        clock.advance(step);
    }
}

/// A worker delivering through a recorder every `step` from `from` to
/// `until`: the recorder, with what it was handed.
pub async fn deliver_between(
    store: &Store,
    w: &World,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    step: Duration,
) -> Arc<Recorder> {
    let clock = ManualClock::new(from);
    let recorder = Recorder::new(Arc::new(clock.clone()));
    run_until(store, &clock, &messenger(recorder.clone(), w), until, step).await;
    recorder
}

/// The family's messages in the outbox, oldest first.
pub async fn reminders_of(store: &Store, referral: Uuid) -> Vec<Message> {
    outbox::of_referral(store.conn(), referral)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.audience == "family")
        .collect()
}
