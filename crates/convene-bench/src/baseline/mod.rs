//! The baseline: the same directory answered the way existing directories
//! answer, from PostgreSQL full-text search (a `tsvector` column with a GIN
//! index, `ts_rank`) with filters and distance computed in SQL.

pub mod load;
pub mod query;
pub mod serve;

use anyhow::{Context, bail};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// Connects to the baseline's PostgreSQL database.
pub async fn connect(url: &str, pool_size: u32) -> anyhow::Result<DatabaseConnection> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("the baseline runs on PostgreSQL: give a postgres:// URL");
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(pool_size)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .context("cannot connect to the baseline database")
}
