//! Convene's database layer: one code path for SQLite and PostgreSQL.
//!
//! SeaORM entities and migrations are written once; the few places that must
//! know the backend (durability settings, backups) ask [`Store::backend`].
//! Repository functions take any `ConnectionTrait`, so the same function works
//! on the pool or inside a [`Store::transaction`].

pub mod audit;
pub mod backup;
pub mod caseload;
mod database;
pub mod directory;
pub mod durability;
mod entities;
mod error;
pub mod idempotency;
pub mod identity;
pub mod instance;
pub mod maintenance;
pub mod messaging;
mod migrations;
pub mod organisations;
pub mod people;
pub mod places;
pub mod referrals;
#[cfg(feature = "testing")]
pub mod testing;

pub use database::{
    Backend, DatabaseSettings, SQLITE_ANALYSIS_LIMIT, SQLITE_CACHE_KIB, SqliteSynchronous, Store,
    TransactionBody, redact_url,
};
pub use error::StoreError;
pub use sea_orm::{ConnectionTrait, DatabaseTransaction};
