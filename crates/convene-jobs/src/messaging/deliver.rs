//! Delivering the outbox: claim due messages, compose each, hand it to the
//! provider, record the result. A temporary failure is retried with
//! backoff; a permanent one is marked failed for staff to see.
//!
//! Exactly-once effects on at-least-once delivery: the outbox id goes to
//! the provider as the message's reference. A worker that stops between
//! the provider taking a message and the outbox recording it leaves the
//! message claimed but unrecorded; the next worker to claim it sees that
//! (`maybe_sent_before`) and asks the provider for the reference before
//! sending, so the family gets one text.

use std::sync::Arc;

use chrono::Duration;
use convene_domain::clock::SharedClock;
use convene_domain::messaging::delivery::{Channel, DeliveryReport};
use convene_domain::messaging::reminders::ReminderPolicy;
use convene_domain::messaging::templates::Audience;
use convene_domain::sealing::DataKeys;
use convene_store::messaging::compose::{Composed, compose};
use convene_store::messaging::outbox::{self, Message, Report, SentAs};
use convene_store::{Store, StoreError};

use super::provider::{LogProvider, Outgoing, Provider};

/// What the worker needs to send messages: the provider, the keys that
/// open families' contact details, and the address links point to.
#[derive(Debug, Clone)]
pub struct Messenger {
    pub provider: Arc<dyn Provider>,
    pub keys: Option<Arc<DataKeys>>,
    pub base_url: String,
}

impl Messenger {
    /// The log provider, for development, demos and tests.
    pub fn log(base_url: impl Into<String>) -> Self {
        Self {
            provider: Arc::new(LogProvider),
            keys: None,
            base_url: base_url.into(),
        }
    }

    pub fn with_keys(mut self, keys: Arc<DataKeys>) -> Self {
        self.keys = Some(keys);
        self
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Family messages due outside sending hours, put back until they open.
    pub postponed: usize,
}

/// How long a claim holds a message; renewed just before each call to the
/// provider, so a slow provider cannot let a claim lapse mid-send.
const LEASE: i64 = 5;

/// Messages claimed at a time: small, so a round with a slow provider
/// (two calls of up to 10 seconds each per message) stays well inside a
/// lease.
const ROUND: u64 = 10;

/// Delivers every message due now (in rounds of [`ROUND`]).
pub async fn deliver_due(
    store: &Store,
    clock: &SharedClock,
    messenger: &Messenger,
) -> Result<Delivered, StoreError> {
    let mut done = Delivered::default();
    loop {
        let claimed =
            outbox::claim_due(store.conn(), clock.now(), Duration::minutes(LEASE), ROUND).await?;
        if claimed.is_empty() {
            return Ok(done);
        }
        for message in claimed {
            // One message that cannot be worked (a record that does not
            // open, a corrupt row) is retried with backoff; the rest go on.
            if let Err(error) = deliver_one(store, clock, messenger, &message, &mut done).await {
                tracing::warn!(message = %message.id, %error, "a message could not be worked");
                let reason = format!("Convene could not prepare it: {error}");
                failed(store, clock, &message, &reason, false, &mut done).await?;
            }
        }
    }
}

/// Whether this worker still holds `message` (renewing its lease).
async fn still_mine(
    store: &Store,
    clock: &SharedClock,
    message: &Message,
) -> Result<bool, StoreError> {
    outbox::still_mine(store.conn(), message, clock.now(), Duration::minutes(LEASE)).await
}

async fn deliver_one(
    store: &Store,
    clock: &SharedClock,
    messenger: &Messenger,
    message: &Message,
    done: &mut Delivered,
) -> Result<(), StoreError> {
    let provider = messenger.provider.as_ref();
    if message.maybe_sent_before() {
        if !still_mine(store, clock, message).await? {
            return Ok(());
        }
        match provider.find(message.id).await {
            Ok(Some(accepted)) => {
                let sent_as = SentAs {
                    channel: Channel::parse(&message.channel).map_or("", Channel::code),
                    subject: None,
                    body: None,
                    provider_id: accepted.provider_id,
                };
                outbox::mark_sent(store.conn(), message, &sent_as, clock.now()).await?;
                done.sent += 1;
                return Ok(());
            }
            Ok(None) => {}
            Err(not_sent) => {
                return failed(
                    store,
                    clock,
                    message,
                    &not_sent.reason,
                    not_sent.permanent,
                    done,
                )
                .await;
            }
        }
    }
    let keys = messenger.keys.as_deref();
    let can_send = provider.channels();
    let ready = match compose(
        store.conn(),
        keys,
        message,
        &messenger.base_url,
        &can_send,
        clock.now(),
    )
    .await?
    {
        Composed::Ready(ready) => ready,
        Composed::Skip(why) => {
            outbox::mark_skipped(store.conn(), message, &why).await?;
            done.skipped += 1;
            return Ok(());
        }
        Composed::Fail(why) => return failed(store, clock, message, &why, true, done).await,
    };
    let family = message.audience == Audience::Family.code();
    if family {
        let opens = ReminderPolicy::default().next_sending_time(clock.now());
        if opens > clock.now() {
            outbox::postpone(store.conn(), message, opens).await?;
            done.postponed += 1;
            return Ok(());
        }
    }
    let outgoing = Outgoing {
        reference: message.id,
        channel: ready.channel,
        to: ready.to,
        subject: ready.subject,
        body: ready.body,
        family,
    };
    // Another worker may have taken it while this one composed (a lapsed
    // lease): then it is theirs to send.
    if !still_mine(store, clock, message).await? {
        return Ok(());
    }
    match provider.send(&outgoing).await {
        Ok(accepted) => {
            // A family's words and address are not kept.
            let (subject, body) = if family {
                (None, None)
            } else {
                (Some(outgoing.subject), Some(outgoing.body))
            };
            let sent_as = SentAs {
                channel: outgoing.channel.code(),
                subject,
                body,
                provider_id: accepted.provider_id,
            };
            outbox::mark_sent(store.conn(), message, &sent_as, clock.now()).await?;
            done.sent += 1;
            Ok(())
        }
        Err(not_sent) => {
            failed(
                store,
                clock,
                message,
                &not_sent.reason,
                not_sent.permanent,
                done,
            )
            .await
        }
    }
}

async fn failed(
    store: &Store,
    clock: &SharedClock,
    message: &Message,
    reason: &str,
    permanent: bool,
    done: &mut Delivered,
) -> Result<(), StoreError> {
    let gives_up = permanent || message.attempts + 1 >= outbox::MAX_ATTEMPTS;
    outbox::mark_failed_attempt(store.conn(), message, reason, permanent, clock.now()).await?;
    if gives_up {
        tracing::warn!(message = %message.id, "a message could not be delivered");
        done.failed += 1;
    } else {
        done.retrying += 1;
    }
    Ok(())
}

/// Asks the provider about sent messages nobody has reported on: the
/// fallback for callbacks that do not arrive. Returns how many changed.
pub async fn poll_reports(
    store: &Store,
    clock: &SharedClock,
    provider: &dyn Provider,
) -> Result<usize, StoreError> {
    let mut changed = 0;
    // A few at a time: polling shares the worker's round with delivery.
    for message in outbox::due_a_poll(store.conn(), clock.now(), 20).await? {
        let Some(provider_id) = message.provider_id.as_deref() else {
            continue;
        };
        let report = match provider.report(provider_id).await {
            Ok(Some(DeliveryReport::Delivered)) => Report::Delivered,
            Ok(Some(DeliveryReport::Undelivered { reason })) => Report::Undelivered(reason),
            Ok(Some(DeliveryReport::SendAgain { reason })) => Report::SendAgain(reason),
            Ok(Some(DeliveryReport::Pending) | None) | Err(_) => {
                outbox::poll_later(store.conn(), &message, clock.now()).await?;
                continue;
            }
        };
        if outbox::record_report(store.conn(), message.id, None, &report, clock.now()).await? {
            changed += 1;
        }
    }
    Ok(changed)
}
