use sea_orm::DbErr;

/// What can go wrong in the store, in terms the layers above can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// The URL names no database Convene supports.
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    /// No row has this id.
    #[error("not found")]
    NotFound,
    /// A stored value could not be read back (e.g. an unknown enum code):
    /// the database was changed outside Convene.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// This operation is not available on this backend.
    #[error("{0}")]
    Unsupported(String),
    /// A refused operation, with the reason for the person who asked.
    #[error("{0}")]
    Refused(String),
    /// Personal data could not be sealed or opened: no randomness, or a key
    /// that is missing or wrong. Never retried silently.
    #[error("personal data: {0}")]
    Sealing(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}
