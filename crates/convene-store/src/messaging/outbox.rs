//! The outbox. `enqueue` is called inside the transaction of the change
//! that causes a message, so both commit or neither does. Workers claim
//! due messages with a lease (a conditional update, so two workers never
//! take the same one), record each attempt, and retry with backoff.

use chrono::{DateTime, Duration, Utc};
use convene_domain::ids::new_id;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::outbox_message::{ActiveModel, Column, Entity, Model};

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub channel: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub referral_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub referral_id: Option<Uuid>,
}

fn to_domain(row: Model) -> Message {
    Message {
        id: row.id,
        channel: row.channel,
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        referral_id: row.referral_id,
    }
}

/// Queues a message. Call in the transaction of the change that causes it.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    message: &NewMessage,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = new_id();
    Entity::insert(ActiveModel {
        id: Set(id),
        channel: Set(message.channel.to_string()),
        recipient: Set(message.recipient.clone()),
        subject: Set(message.subject.clone()),
        body: Set(message.body.clone()),
        status: Set("queued".to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        referral_id: Set(message.referral_id),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due messages for `lease`; each is won by one caller.
pub async fn claim_due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    let free = Condition::any()
        .add(Column::LeaseUntil.is_null())
        .add(Column::LeaseUntil.lt(now));
    let due = Entity::find()
        .filter(Column::Status.eq("queued"))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(conn)
        .await?;
    let mut won = Vec::new();
    for row in due {
        let taken = Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(now + lease))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Status.eq("queued"))
            .filter(free.clone())
            .exec(conn)
            .await?;
        if taken.rows_affected == 1 {
            won.push(to_domain(row));
        }
    }
    Ok(won)
}

/// The provider accepted it.
pub async fn mark_sent<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value("sent"))
        .col_expr(Column::SentAt, Expr::value(now))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// An attempt failed: retried after a backoff that doubles each time (one
/// minute, then two, four... up to an hour), or given up as failed when it
/// cannot succeed or after [`MAX_ATTEMPTS`].
pub async fn mark_failed_attempt<C: ConnectionTrait>(
    conn: &C,
    message: &Message,
    reason: &str,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let attempts = message.attempts + 1;
    let give_up = permanent || attempts >= MAX_ATTEMPTS;
    let wait = Duration::minutes(1i64 << (attempts - 1).clamp(0, 6)).min(Duration::hours(1));
    Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(if give_up { "failed" } else { "queued" }),
        )
        .col_expr(Column::Attempts, Expr::value(attempts))
        .col_expr(Column::NextAttemptAt, Expr::value(now + wait))
        .col_expr(
            Column::LastError,
            Expr::value(reason.chars().take(500).collect::<String>()),
        )
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(Column::Id.eq(message.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The newest messages, for the outbox page and tests.
pub async fn recent<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<Message>, StoreError> {
    Ok(Entity::find()
        .order_by_desc(Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}
