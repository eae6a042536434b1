//! The service directory's storage.

pub mod postcodes;
pub mod services;
pub mod taxonomies;
pub mod versions;
