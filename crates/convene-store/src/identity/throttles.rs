//! Failure counters for sign-in, by account and by client address.

use chrono::{DateTime, Utc};
use convene_domain::identity::throttle::{ThrottleRule, ThrottleState};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, Set, Statement};

use crate::entities::throttle;
use crate::{Store, StoreError};

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    now: DateTime<Utc>,
) -> Result<ThrottleState, StoreError> {
    Ok(
        match throttle::Entity::find_by_id(key.to_string())
            .one(conn)
            .await?
        {
            Some(row) => ThrottleState {
                failures: u32::try_from(row.failures).unwrap_or(0),
                window_started_at: row.window_started_at,
                locked_until: row.locked_until,
            },
            None => ThrottleState::new(now),
        },
    )
}

/// Counts one more failure for `key` and returns the new state. Runs in its
/// own transaction, serialised per key (SQLite's `BEGIN IMMEDIATE`, a
/// PostgreSQL advisory lock on the key), so parallel attempts are all
/// counted and none overwrites another.
pub async fn record_failure(
    store: &Store,
    key: &str,
    rule: ThrottleRule,
    now: DateTime<Utc>,
) -> Result<ThrottleState, StoreError> {
    let key = key.to_string();
    store
        .transaction(move |txn| {
            Box::pin(async move { record_failure_in(txn, &key, rule, now).await })
        })
        .await
}

async fn record_failure_in<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    rule: ThrottleRule,
    now: DateTime<Utc>,
) -> Result<ThrottleState, StoreError> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
    }
    let next = get(conn, key, now).await?.record_failure(rule, now);
    let model = throttle::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(i32::try_from(next.failures).unwrap_or(i32::MAX)),
        window_started_at: Set(next.window_started_at),
        locked_until: Set(next.locked_until),
    };
    throttle::Entity::insert(model)
        .on_conflict(
            OnConflict::column(throttle::Column::Key)
                .update_columns([
                    throttle::Column::Failures,
                    throttle::Column::WindowStartedAt,
                    throttle::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(next)
}

/// Forgets the failures of `key` (after a successful sign-in).
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str) -> Result<(), StoreError> {
    throttle::Entity::delete_by_id(key.to_string())
        .exec(conn)
        .await?;
    Ok(())
}
