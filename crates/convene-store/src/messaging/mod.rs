//! Messages: the outbox.

pub mod outbox;
