//! What every provider does: take a message, say whether it took one with
//! a given reference before, and report on delivery.

use std::future::Future;
use std::pin::Pin;

use convene_domain::messaging::delivery::{Channel, DeliveryReport};
use uuid::Uuid;

/// A message ready to hand over: rendered, addressed, with the outbox id
/// as its reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub reference: Uuid,
    pub channel: Channel,
    pub to: String,
    /// Email only.
    pub subject: String,
    pub body: String,
    /// To a family (not staff): its address is personal data.
    pub family: bool,
}

/// The provider took the message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The provider's own id for it, where it has one (Notify does).
    pub provider_id: Option<String>,
}

/// Why a provider did not take a message, or could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    pub reason: String,
    /// Trying again cannot help (an invalid address, a refused key).
    pub permanent: bool,
}

impl NotSent {
    pub fn temporary(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: false,
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: true,
        }
    }
}

pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, NotSent>> + Send + 'a>>;

/// Where messages go: GOV.UK Notify, SMTP, or the log.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Hands `message` over.
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted>;

    /// The message this provider already took with `reference`, if it can
    /// tell. Asked before sending again a message whose earlier attempt
    /// ended without a record (the worker stopped mid-way), so a family is
    /// not sent the same text twice.
    fn find<'a>(&'a self, _reference: Uuid) -> Pending<'a, Option<Accepted>> {
        Box::pin(async { Ok(None) })
    }

    /// The channels this provider can deliver; a family is reminded by one
    /// of them or not at all.
    fn channels(&self) -> Vec<Channel> {
        vec![Channel::Sms, Channel::Email]
    }

    /// What became of an accepted message, where the provider can say.
    fn report<'a>(&'a self, _provider_id: &'a str) -> Pending<'a, Option<DeliveryReport>> {
        Box::pin(async { Ok(None) })
    }
}

/// Development and demo delivery: the message on standard output, where
/// the operator sees it, and on the outbox page. A family's phone number
/// or address is not printed (standard output often ends up in a log
/// store), and nothing is reported delivered: nobody received it. Logs
/// carry only the id, never the content.
#[derive(Debug, Default)]
pub struct LogProvider;

impl Provider for LogProvider {
    #[allow(clippy::print_stdout)] // standard output is this provider's delivery
    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            println!(
                "----- {} (log delivery, reference {}) -----\nTo: {}\nSubject: {}\n\n{}\n------------------------------------",
                message.channel.code(),
                message.reference,
                if message.family {
                    "(the family; not shown)"
                } else {
                    message.to.as_str()
                },
                message.subject,
                message.body
            );
            tracing::info!(message = %message.reference, "message delivered to the log");
            Ok(Accepted { provider_id: None })
        })
    }
}
