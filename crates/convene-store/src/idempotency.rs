//! Idempotency keys: what a keyed API request answered the first time.
//! Saved in the transaction that did the work, so a replay is exactly the
//! first answer and a crash leaves neither the work nor the key.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::idempotency_key::{ActiveModel, Entity};

/// A first answer, kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    pub scope: String,
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    key: &str,
) -> Result<Option<Remembered>, StoreError> {
    Ok(Entity::find_by_id((user, key.to_string()))
        .one(conn)
        .await?
        .map(|row| Remembered {
            scope: row.scope,
            request_hash: row.request_hash,
            status: u16::try_from(row.status).unwrap_or(500),
            body: row.body,
        }))
}

/// Keeps the first answer. Fails (a database error) if another request
/// with the same key saved its answer first; the caller then replays it.
pub async fn remember<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    key: &str,
    answer: &Remembered,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        user_id: Set(user),
        key: Set(key.to_string()),
        scope: Set(answer.scope.clone()),
        request_hash: Set(answer.request_hash.clone()),
        status: Set(i32::from(answer.status)),
        body: Set(answer.body.clone()),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
