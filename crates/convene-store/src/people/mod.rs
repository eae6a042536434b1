//! People and households, stored sealed.

pub mod households;
pub mod keys;
pub mod records;

pub use records::Person;
