//! Convene's domain: the types and rules of each capability, free of IO.
//!
//! Every capability has the same name here as in the store, the web layer and
//! the jobs, so a reader can guess where any line of code lives.

pub mod audit;
pub mod clock;
pub mod directory;
pub mod identity;
pub mod ids;
pub mod messaging;
pub mod organisations;
pub mod people;
pub mod places;
pub mod referrals;
pub mod sealing;
pub mod text;
