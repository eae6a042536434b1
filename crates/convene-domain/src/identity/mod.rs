//! Identity: who people are, what they may do, and how they prove it.

pub mod accounts;
pub mod passwords;
pub mod policy;
pub mod roles;
pub mod second_factor;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use accounts::{Account, SessionStage};
pub use policy::{Action, Membership, Principal, audit_scope, may};
pub use roles::Role;
pub use tokens::Scope;
