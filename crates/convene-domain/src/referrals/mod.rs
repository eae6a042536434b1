//! Referrals: a tracked, lawful piece of work between a referring
//! organisation and a service in the directory, with its appointments.

pub mod appointments;
pub mod states;

pub use appointments::{AppointmentChange, AppointmentMode, AppointmentStatus, FollowUp};
pub use states::{Outcome, ReferralState, Side, Transition, TransitionError, next_state};
