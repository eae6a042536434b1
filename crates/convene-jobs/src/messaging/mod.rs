//! Delivering messages: the providers that carry them (GOV.UK Notify,
//! SMTP, or the log) and the worker's round that claims due messages from
//! the outbox, hands each to the provider and records what happened.

mod deliver;
pub mod notify;
mod provider;
pub mod smtp;

pub use deliver::{Delivered, Messenger, deliver_due, poll_reports};
pub use provider::{Accepted, LogProvider, NotSent, Outgoing, Pending, Provider};
