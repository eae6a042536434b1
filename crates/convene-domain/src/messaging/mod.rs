//! Messages to families and staff. So far: the rules for appointment
//! reminders (when, and whether); the outbox and providers come next.

pub mod reminders;
