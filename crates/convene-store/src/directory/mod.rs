//! The service directory's storage.

pub mod bulk;
pub mod candidates;
pub mod changes;
pub mod imports;
pub mod postcodes;
pub mod services;
pub mod taxonomies;
pub mod totals;
pub mod versions;
