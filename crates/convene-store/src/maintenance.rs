//! Routine upkeep of the database, run by the background worker.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::database::Backend;
use crate::{Store, StoreError, instance};

/// When upkeep last finished, as an RFC 3339 instance fact.
pub const LAST_UPKEEP_FACT: &str = "last_upkeep_at";

/// On SQLite: lets the query planner refresh its statistics and folds the
/// write-ahead log back into the database file without blocking anyone
/// (`PASSIVE`), so the log does not grow between automatic checkpoints.
/// PostgreSQL does both by itself (autovacuum, checkpointer).
/// Records when it finished.
pub async fn upkeep(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    if store.backend() == Backend::Sqlite {
        let conn = store.conn();
        conn.execute_unprepared("PRAGMA optimize").await?;
        conn.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await?;
    }
    instance::set_fact(store.conn(), LAST_UPKEEP_FACT, &now.to_rfc3339()).await
}
