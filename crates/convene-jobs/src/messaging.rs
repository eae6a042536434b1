//! Delivering the outbox: claim due messages, hand each to the provider,
//! record the result. A temporary failure is retried with backoff; a
//! permanent one is marked failed for staff to see. The outbox id goes to
//! the provider as the message's reference, so a provider that
//! de-duplicates by reference sends a retried message once.

use std::future::Future;
use std::pin::Pin;

use chrono::Duration;
use convene_domain::clock::SharedClock;
use convene_store::messaging::outbox::{self, Message};
use convene_store::{Store, StoreError};

/// Why a provider did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    pub reason: String,
    /// Trying again cannot help (e.g. an invalid address).
    pub permanent: bool,
}

pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), NotSent>> + Send + 'a>>;

/// Where messages go: GOV.UK Notify, SMTP, or the log.
pub trait Provider: Send + Sync + std::fmt::Debug {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a>;
}

/// Development and demo delivery: the message on standard output, where
/// the operator sees it. Logs carry only the id, never the content.
#[derive(Debug, Default)]
pub struct LogProvider;

impl Provider for LogProvider {
    #[allow(clippy::print_stdout)] // standard output is this provider's delivery
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(async move {
            println!(
                "----- {} (log delivery, reference {}) -----\nTo: {}\nSubject: {}\n\n{}\n------------------------------------",
                message.channel, message.id, message.recipient, message.subject, message.body
            );
            tracing::info!(message = %message.id, "message delivered to the log");
            Ok(())
        })
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Delivers every message due now (in rounds of 50).
pub async fn deliver_due(
    store: &Store,
    clock: &SharedClock,
    provider: &dyn Provider,
) -> Result<Delivered, StoreError> {
    let mut done = Delivered::default();
    loop {
        let claimed =
            outbox::claim_due(store.conn(), clock.now(), Duration::minutes(5), 50).await?;
        if claimed.is_empty() {
            return Ok(done);
        }
        for message in claimed {
            match provider.send(&message).await {
                Ok(()) => {
                    outbox::mark_sent(store.conn(), message.id, clock.now()).await?;
                    done.sent += 1;
                }
                Err(not_sent) => {
                    let gives_up =
                        not_sent.permanent || message.attempts + 1 >= outbox::MAX_ATTEMPTS;
                    outbox::mark_failed_attempt(
                        store.conn(),
                        &message,
                        &not_sent.reason,
                        not_sent.permanent,
                        clock.now(),
                    )
                    .await?;
                    if gives_up {
                        done.failed += 1;
                    } else {
                        done.retrying += 1;
                    }
                }
            }
        }
    }
}
