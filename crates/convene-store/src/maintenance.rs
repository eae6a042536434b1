//! Routine upkeep of the database, run by the background worker.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::database::Backend;
use crate::{Store, StoreError, instance};

/// When upkeep last finished, as an RFC 3339 instance fact.
pub const LAST_UPKEEP_FACT: &str = "last_upkeep_at";

/// On SQLite: folds the write-ahead log back into the database file
/// without blocking anyone (`PASSIVE`), so the log does not grow between
/// automatic checkpoints. PostgreSQL does this by itself (checkpointer).
/// Records when it finished.
pub async fn upkeep(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    if store.backend() == Backend::Sqlite {
        store
            .conn()
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await?;
    }
    instance::set_fact(store.conn(), LAST_UPKEEP_FACT, &now.to_rfc3339()).await
}

/// On SQLite: refreshes the query planner's statistics for every table
/// whose statistics are missing or stale, one table at a time; returns how
/// many tables. PostgreSQL does this by itself (autovacuum).
///
/// Each ANALYZE holds SQLite's write lock while it reads the table's
/// indexes. On a national database freshly loaded and not yet in memory
/// that took 86-132 s under load, and every write waiting longer than the
/// busy timeout failed; so the worker does it in a quiet hour and
/// `convene migrate` (run with the server stopped) does it too.
pub async fn refresh_statistics(store: &Store) -> Result<usize, StoreError> {
    if store.backend() != Backend::Sqlite {
        return Ok(0);
    }
    let statements = stale_statistics(store).await?;
    for statement in &statements {
        store.conn().execute_unprepared(statement).await?;
    }
    Ok(statements.len())
}

/// The ANALYZE statements `PRAGMA optimize` would run, one per table, for
/// every table (not only those this connection has queried).
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
