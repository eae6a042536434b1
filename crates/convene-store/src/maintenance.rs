//! Routine upkeep of the database, run by the background worker.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::database::Backend;
use crate::{Store, StoreError, instance};

/// When upkeep last finished, as an RFC 3339 instance fact.
pub const LAST_UPKEEP_FACT: &str = "last_upkeep_at";

/// On SQLite: refreshes the query planner's statistics where they are
/// missing or stale, and folds the write-ahead log back into the database
/// file without blocking anyone (`PASSIVE`), so the log does not grow
/// between automatic checkpoints. PostgreSQL does both by itself
/// (autovacuum, checkpointer). Records when it finished.
pub async fn upkeep(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    if store.backend() == Backend::Sqlite {
        let conn = store.conn();
        for statement in stale_statistics(store).await? {
            conn.execute_unprepared(&statement).await?;
        }
        conn.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await?;
    }
    instance::set_fact(store.conn(), LAST_UPKEEP_FACT, &now.to_rfc3339()).await
}

/// The ANALYZE statements `PRAGMA optimize` would run, one per table, for
/// every table (not only those this connection has queried). Run one at a
/// time, each holds the write lock only for its own table: as one `PRAGMA
/// optimize` on a freshly loaded national database, the lock was held for
/// 86 seconds under load and every write in that time failed.
async fn stale_statistics(store: &Store) -> Result<Vec<String>, StoreError> {
    let conn = store.conn();
    // -1: every option, including "list, do not run" and "all tables".
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA optimize(-1)",
        ))
        .await?;
    let mut statements = Vec::with_capacity(rows.len());
    for row in rows {
        let statement: String = row.try_get_by_index(0)?;
        // Only ever what SQLite itself proposes: ANALYZE of one table.
        if statement.starts_with("ANALYZE ") {
            statements.push(statement);
        }
    }
    Ok(statements)
}
