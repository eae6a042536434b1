//! The directory search index, in process: every active service's words
//! (tantivy, in memory) and filter values, answering "find support" and
//! ORUK searches without touching the database. It is built from the
//! database at start-up and follows the directory's change sequence, so
//! every Convene instance sharing a database answers from its own memory
//! and the database stays the one source of truth (ADR 4).
//!
//! The rules of a search (what matches, in what order) are
//! `convene_domain::directory::search`; this crate answers by them quickly.

mod follow;
mod index;
mod text;

pub use follow::{catch_up, load};
pub use index::{DirectoryIndex, Found};

/// Why the index could not answer or change.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] convene_store::StoreError),
}
