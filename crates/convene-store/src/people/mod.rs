//! People and households, stored sealed.

pub mod households;
pub mod keys;
pub mod merging;
pub mod records;
pub mod rights;
pub mod shares;
pub mod transitions;

pub use records::Person;
