//! The service directory: Open Referral UK 3.0 records, checked and made
//! searchable, plus the built-in taxonomy of family-support needs.

pub mod areas;
pub mod changes;
pub mod document;
pub mod duplicates;
pub mod editing;
pub mod feed;
pub mod imports;
pub mod postcodes;
pub mod schedules;
pub mod search;
pub mod tabular;
pub mod taxonomy;

pub use document::{
    LocationEntry, RecordError, ServiceRecord, ServiceStatus, TermEntry, parse_service,
};
