//! People and households: the children, young people and parents or carers
//! a referral is about, and the rules for sharing their data.

pub mod households;
pub mod person;
pub mod sharing;
pub mod transitions;

pub use person::{ContactPreference, PersonDetails, PersonForm, check_person};
