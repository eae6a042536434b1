//! The directory search index lives here: built from the database, kept
//! current from a change sequence, answering "find support" queries from
//! memory. The directory capability (services, taxonomies, locations) fills
//! it; until then this crate holds no code, so that the workspace already has
//! the shape every later change expects.
