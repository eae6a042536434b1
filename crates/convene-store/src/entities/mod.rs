//! SeaORM entities: one module per table, private to the store. The layers
//! above see domain types, never these.

pub mod api_token;
pub mod appointment;
pub mod audit_event;
pub mod directory_change;
pub mod follow_up;
pub mod household;
pub mod household_member;
pub mod idempotency_key;
pub mod import_run;
pub mod import_staged;
pub mod instance_fact;
pub mod membership;
pub mod oidc_login;
pub mod one_time_link;
pub mod organisation;
pub mod organisation_sign_in;
pub mod person;
pub mod person_transition;
pub mod place;
pub mod postcode;
pub mod recovery_code;
pub mod referral;
pub mod referral_event;
pub mod referral_need;
pub mod referral_person;
pub mod service;
pub mod service_at_location;
pub mod service_term;
pub mod service_version;
pub mod session;
pub mod share;
pub mod taxonomy;
pub mod taxonomy_term;
pub mod throttle;
pub mod user;
