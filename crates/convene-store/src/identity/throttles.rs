//! Failure counters for sign-in, by account and by client address.

use chrono::{DateTime, Utc};
use convene_domain::identity::throttle::{ThrottleRule, ThrottleState};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::StoreError;
use crate::entities::throttle;

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

/// Counts one more failure for `key`; returns the new state.
pub async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    rule: ThrottleRule,
    now: DateTime<Utc>,
) -> Result<ThrottleState, StoreError> {
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
