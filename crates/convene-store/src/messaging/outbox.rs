//! The outbox. `enqueue` is called inside the transaction of the change
//! that causes a message, so both commit or neither does. Workers claim
//! due messages with a lease (a conditional update, so two workers never
//! take the same one), record each attempt, and retry with backoff.
//!
//! A message's life: `queued` → `sent` (the provider took it) →
//! `delivered` or `undelivered` (what the provider later says); or
//! `failed` (given up: it cannot succeed, or after [`MAX_ATTEMPTS`]); or
//! `skipped` (a reminder no longer needed: the appointment was cancelled or
//! moved, consent was withdrawn, the family opted out).
//!
//! Messages to families hold no recipient or text here: both are worked
//! out when the message is sent, from the sealed person record, so the
//! outbox holds no personal data.

use chrono::{DateTime, Duration, Utc};
use convene_domain::ids::new_id;
use convene_domain::messaging::templates::MessageKind;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::outbox_message::{ActiveModel, Column, Entity, Model};

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// Every status a message can have, in the order the outbox page lists them.
pub const STATUSES: [&str; 6] = [
    "queued",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "skipped",
];

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub kind: MessageKind,
    /// Staff messages: the email address. Family messages: empty (found
    /// when sent).
    pub recipient: String,
    pub referral_id: Option<Uuid>,
    /// Reminders: the appointment, and the time it was booked for.
    pub appointment: Option<(Uuid, DateTime<Utc>)>,
    /// When it may go; now for notices, the due time for reminders.
    pub not_before: DateTime<Utc>,
}

impl NewMessage {
    /// A staff notice by email, about a referral.
    pub fn notice(kind: MessageKind, email: String, referral: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            kind,
            recipient: email,
            referral_id: Some(referral),
            appointment: None,
            not_before: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub kind: String,
    pub audience: String,
    /// `sms` or `email`; empty for a family message not yet sent.
    pub channel: String,
    /// Staff messages only.
    pub recipient: String,
    /// Staff messages only, once sent.
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    /// Times a worker took it; more than `attempts + 1` when claimed means
    /// an earlier attempt ended without a record.
    pub claims: i32,
    pub last_error: Option<String>,
    pub referral_id: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    pub appointment_starts_at: Option<DateTime<Utc>>,
    pub provider_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Message {
    /// An earlier worker took this message and stopped before recording
    /// what happened: the provider may already have it.
    pub fn maybe_sent_before(&self) -> bool {
        self.claims > self.attempts + 1
    }

    pub fn kind(&self) -> Option<MessageKind> {
        MessageKind::parse(&self.kind)
    }
}

fn to_domain(row: Model) -> Message {
    Message {
        id: row.id,
        kind: row.kind,
        audience: row.audience,
        channel: row.channel,
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        status: row.status,
        attempts: row.attempts,
        claims: row.claims,
        last_error: row.last_error,
        referral_id: row.referral_id,
        appointment_id: row.appointment_id,
        appointment_starts_at: row.appointment_starts_at,
        provider_id: row.provider_id,
        created_at: row.created_at,
        next_attempt_at: row.next_attempt_at,
        sent_at: row.sent_at,
        delivered_at: row.delivered_at,
    }
}

/// Queues a message. Call in the transaction of the change that causes it.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    message: &NewMessage,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = new_id();
    let family = message.kind.audience() == convene_domain::messaging::templates::Audience::Family;
    Entity::insert(ActiveModel {
        id: Set(id),
        kind: Set(message.kind.code().to_string()),
        audience: Set(message.kind.audience().code().to_string()),
        channel: Set(if family {
            String::new()
        } else {
            "email".to_string()
        }),
        recipient: Set(message.recipient.clone()),
        subject: Set(String::new()),
        body: Set(String::new()),
        status: Set("queued".to_string()),
        attempts: Set(0),
        claims: Set(0),
        next_attempt_at: Set(message.not_before),
        lease_until: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        delivered_at: Set(None),
        last_error: Set(None),
        referral_id: Set(message.referral_id),
        appointment_id: Set(message.appointment.map(|(id, _)| id)),
        appointment_starts_at: Set(message.appointment.map(|(_, at)| at)),
        provider_id: Set(None),
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
    // Another worker may win every message this one read; then read
    // again, so "nothing claimed" means "nothing due", not "lost a race".
    for _ in 0..CLAIM_TRIES {
        let (read, won) = claim_once(conn, now, lease, limit).await?;
        if read == 0 || !won.is_empty() {
            return Ok(won);
        }
    }
    Ok(Vec::new())
}

/// Times `claim_due` reads again after losing every message it read.
const CLAIM_TRIES: usize = 20;

/// Reads up to `limit` due messages and claims what it can: how many it
/// read, and those it won.
async fn claim_once<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<(usize, Vec<Message>), StoreError> {
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
    let read = due.len();
    let mut won = Vec::new();
    for row in due {
        let taken = Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(Column::Claims, Expr::col(Column::Claims).add(1))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Status.eq("queued"))
            .filter(Column::Claims.eq(row.claims))
            .filter(free.clone())
            .exec(conn)
            .await?;
        if taken.rows_affected == 1 {
            let mut message = to_domain(row);
            message.claims += 1;
            won.push(message);
        }
    }
    Ok((read, won))
}

/// What was handed to the provider, kept for the outbox page. Family
/// messages keep only the channel: their text and recipient are personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentAs {
    pub channel: &'static str,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub provider_id: Option<String>,
}

/// Renews the lease on a claimed message just before it goes to the
/// provider, if this worker still holds it (no other worker claimed it
/// since, and it is still queued). `false`: leave it alone.
pub async fn still_mine<C: ConnectionTrait>(
    conn: &C,
    message: &Message,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<bool, StoreError> {
    let renewed = Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::value(now + lease))
        .filter(still_held(message))
        .exec(conn)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// The provider accepted it. Polled for delivery in 10 minutes, unless a
/// callback says first.
pub async fn mark_sent<C: ConnectionTrait>(
    conn: &C,
    message: &Message,
    sent_as: &SentAs,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value("sent"))
        .col_expr(Column::Channel, Expr::value(sent_as.channel))
        .col_expr(Column::SentAt, Expr::value(now))
        .col_expr(
            Column::NextAttemptAt,
            Expr::value(now + Duration::minutes(10)),
        )
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::Claims, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::ProviderId, Expr::value(sent_as.provider_id.clone()))
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>));
    if let (Some(subject), Some(body)) = (&sent_as.subject, &sent_as.body) {
        update = update
            .col_expr(Column::Subject, Expr::value(subject.clone()))
            .col_expr(Column::Body, Expr::value(body.clone()));
    }
    update.filter(still_held(message)).exec(conn).await?;
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
    Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(if give_up { "failed" } else { "queued" }),
        )
        .col_expr(Column::Attempts, Expr::value(attempts))
        // A failed attempt may still have reached the provider (a timeout
        // after it took the message): the next attempt asks it first.
        .col_expr(Column::Claims, Expr::value(attempts + 1))
        .col_expr(Column::NextAttemptAt, Expr::value(now + backoff(attempts)))
        .col_expr(Column::LastError, Expr::value(clip(reason)))
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(still_held(message))
        .exec(conn)
        .await?;
    Ok(())
}

/// The row as the worker that claimed `message` still holds it: still
/// queued, and claimed by nobody since.
fn still_held(message: &Message) -> Condition {
    Condition::all()
        .add(Column::Id.eq(message.id))
        .add(Column::Status.eq("queued"))
        .add(Column::Claims.eq(message.claims))
}

fn backoff(attempts: i32) -> Duration {
    Duration::minutes(1i64 << (attempts - 1).clamp(0, 6)).min(Duration::hours(1))
}

fn clip(reason: &str) -> String {
    reason.chars().take(500).collect()
}

/// A message that is no longer wanted (a reminder for an appointment that
/// was cancelled, say) is skipped, with the reason.
pub async fn mark_skipped<C: ConnectionTrait>(
    conn: &C,
    message: &Message,
    reason: &str,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value("skipped"))
        .col_expr(Column::LastError, Expr::value(clip(reason)))
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(still_held(message))
        .exec(conn)
        .await?;
    Ok(())
}

/// Puts a claimed message back untried until `until` (outside the hours
/// messages to families may be sent, say). Not an attempt.
pub async fn postpone<C: ConnectionTrait>(
    conn: &C,
    message: &Message,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(until))
        .col_expr(Column::Claims, Expr::value(message.claims - 1))
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(still_held(message))
        .exec(conn)
        .await?;
    Ok(())
}

/// Skips every reminder still queued for an appointment: it was cancelled,
/// recorded or moved (a moved one gets reminders of its own). One a
/// worker is sending at this moment is left to it: it checks the
/// appointment when it composes, and what it sends is recorded.
pub async fn skip_reminders_for<C: ConnectionTrait>(
    conn: &C,
    appointment: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let free = Condition::any()
        .add(Column::LeaseUntil.is_null())
        .add(Column::LeaseUntil.lt(now));
    let done = Entity::update_many()
        .col_expr(Column::Status, Expr::value("skipped"))
        .col_expr(Column::LastError, Expr::value(clip(reason)))
        .filter(Column::AppointmentId.eq(appointment))
        .filter(Column::Status.eq("queued"))
        .filter(free)
        .exec(conn)
        .await?;
    Ok(done.rows_affected)
}

/// What a provider later said about a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Delivered,
    Undelivered(String),
    SendAgain(String),
}

/// Records a provider's report on message `id` (the reference Convene
/// gave it). Idempotent: a report on a message already delivered,
/// undelivered or failed changes nothing, and says so (`false`).
pub async fn record_report<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    provider_id: Option<&str>,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut update = Entity::update_many();
    update = match report {
        Report::Delivered => update
            .col_expr(Column::Status, Expr::value("delivered"))
            .col_expr(Column::DeliveredAt, Expr::value(now)),
        Report::Undelivered(reason) => update
            .col_expr(Column::Status, Expr::value("undelivered"))
            .col_expr(Column::LastError, Expr::value(clip(reason))),
        Report::SendAgain(reason) => update
            .col_expr(Column::Status, Expr::value("queued"))
            .col_expr(Column::ProviderId, Expr::value(None::<String>))
            .col_expr(
                Column::NextAttemptAt,
                Expr::value(now + Duration::minutes(1)),
            )
            .col_expr(Column::LastError, Expr::value(clip(reason))),
    };
    if let Some(provider_id) = provider_id
        && !matches!(report, Report::SendAgain(_))
    {
        update = update.col_expr(Column::ProviderId, Expr::value(provider_id.to_string()));
    }
    // A report can overtake the worker's own record after a crash: a
    // message still queued is then known to have gone.
    let open = Condition::any()
        .add(Column::Status.eq("sent"))
        .add(Column::Status.eq("queued"));
    // A late report on an earlier send of the same message (one sent
    // again since) is not about this one.
    let same_send = match provider_id {
        Some(provider_id) => Condition::any()
            .add(Column::ProviderId.is_null())
            .add(Column::ProviderId.eq(provider_id)),
        None => Condition::all(),
    };
    let done = update
        .col_expr(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(Column::Id.eq(id))
        .filter(open)
        .filter(same_send)
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Sent messages whose delivery nobody has reported, due a poll of the
/// provider (the fallback when callbacks do not arrive).
pub async fn due_a_poll<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    Ok(Entity::find()
        .filter(Column::Status.eq("sent"))
        .filter(Column::ProviderId.is_not_null())
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// The provider has no news yet: ask again in 30 minutes, and stop asking
/// three days after sending (Notify's own limit), leaving it `sent`.
pub async fn poll_later<C: ConnectionTrait>(
    conn: &C,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sent = message.sent_at.unwrap_or(now);
    let next = if now - sent > Duration::days(3) {
        // Far future: no more polling.
        now + Duration::days(36_500)
    } else {
        now + Duration::minutes(30)
    };
    Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(next))
        .filter(Column::Id.eq(message.id))
        .filter(Column::Status.eq("sent"))
        .exec(conn)
        .await?;
    Ok(())
}

/// An administrator sends a failed or undelivered message again. One the
/// provider reported undelivered is sent anew; one that failed may yet
/// have reached the provider (a timeout), so the provider is asked first.
pub async fn retry<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = get(conn, id).await?.map(|m| m.status);
    let claims = match status.as_deref() {
        Some("undelivered") => 0,
        _ => 1,
    };
    let done = Entity::update_many()
        .col_expr(Column::Status, Expr::value("queued"))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::Claims, Expr::value(claims))
        .col_expr(Column::ProviderId, Expr::value(None::<String>))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(["failed", "undelivered"]))
        .filter(Column::Status.eq(status.unwrap_or_default()))
        .exec(conn)
        .await?;
    if done.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Refused(
            "Only a failed or undelivered message can be sent again".into(),
        ))
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Message>, StoreError> {
    Ok(Entity::find_by_id(id).one(conn).await?.map(to_domain))
}

/// The newest messages, optionally of one status, for the outbox page.
pub async fn recent<C: ConnectionTrait>(
    conn: &C,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    let mut query = Entity::find();
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status));
    }
    Ok(query
        .order_by_desc(Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// A referral's messages, oldest first (reminders queued together in the
/// order they go).
pub async fn of_referral<C: ConnectionTrait>(
    conn: &C,
    referral: Uuid,
) -> Result<Vec<Message>, StoreError> {
    Ok(Entity::find()
        .filter(Column::ReferralId.eq(referral))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::NextAttemptAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// How many messages have each status.
pub async fn counts<C: ConnectionTrait>(conn: &C) -> Result<Vec<(&'static str, u64)>, StoreError> {
    let mut counts = Vec::new();
    for status in STATUSES {
        let n = Entity::find()
            .filter(Column::Status.eq(status))
            .count(conn)
            .await?;
        counts.push((status, n));
    }
    Ok(counts)
}
