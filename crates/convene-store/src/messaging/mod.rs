//! Messages: the outbox and what feeds it (staff notices, appointment
//! reminders), services' reminder settings, families' opt-outs, the
//! templates coordinators edit, and composing a message when it is sent.

pub mod compose;
pub mod notices;
pub mod opt_outs;
pub mod outbox;
pub mod reminders;
pub mod settings;
pub mod templates;
