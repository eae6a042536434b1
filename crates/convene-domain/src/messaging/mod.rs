//! Messages to families and staff: when reminders go and whether, what
//! each message may say (templates), and what providers report.

pub mod contact;
pub mod delivery;
pub mod reminders;
pub mod templates;
