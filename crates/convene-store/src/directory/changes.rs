//! The directory's change sequence. Every change to a service appends a
//! numbered row in the same transaction; search indexes follow it by
//! reading the rows after the last number they applied.
//!
//! Numbers are given in commit order: on PostgreSQL under a transaction
//! advisory lock held until commit (as the audit chain does), on SQLite by
//! its single writer. A reader therefore never sees number n+1 before n, and
//! never skips a change that commits late.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::directory_change::{ActiveModel, Column, Entity};

/// Serialises appends across every instance sharing a PostgreSQL database.
const APPEND_LOCK: i64 = 0x636f_6e76_656e_6502;

/// Records that `service_id` changed. Call inside the transaction that
/// makes the change, so both commit or neither does.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    service_id: Uuid,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    let seq = latest(txn).await? + 1;
    Entity::insert(ActiveModel {
        seq: Set(seq),
        service_id: Set(service_id),
        changed_at: Set(at),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(seq)
}

/// Records that each of `service_ids` changed, numbered in that order.
/// Call inside the transaction that makes the changes.
pub async fn record_many<C: ConnectionTrait>(
    txn: &C,
    service_ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if service_ids.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    let first = latest(txn).await? + 1;
    for (offset, chunk) in (0i64..).step_by(500).zip(service_ids.chunks(500)) {
        let rows = chunk.iter().enumerate().map(|(n, id)| ActiveModel {
            seq: Set(first + offset + n as i64),
            service_id: Set(*id),
            changed_at: Set(at),
        });
        Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The number of the latest change (0 when there is none).
pub async fn latest<C: ConnectionTrait>(conn: &C) -> Result<i64, StoreError> {
    let latest = Entity::find().order_by_desc(Column::Seq).one(conn).await?;
    Ok(latest.map_or(0, |row| row.seq))
}

/// Up to `limit` changes after `after`, oldest first: (number, service).
pub async fn since<C: ConnectionTrait>(
    conn: &C,
    after: i64,
    limit: u64,
) -> Result<Vec<(i64, Uuid)>, StoreError> {
    Ok(Entity::find()
        .filter(Column::Seq.gt(after))
        .order_by_asc(Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.seq, row.service_id))
        .collect())
}
