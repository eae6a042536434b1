//! Identity: accounts, memberships, sessions and credentials.

pub mod accounts;
pub mod credentials;
pub mod oidc;
pub mod sessions;
pub mod throttles;
