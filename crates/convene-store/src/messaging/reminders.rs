//! Queuing appointment reminders: when an appointment is booked or moved,
//! one outbox message per reminder the service's settings call for, due at
//! its time. A cancelled, recorded or moved appointment's queued reminders
//! are skipped in the same transaction; the worker checks again when each
//! comes due (see `compose`).

use chrono::{DateTime, Utc};
use convene_domain::messaging::templates::MessageKind;
use uuid::Uuid;

use super::outbox::{self, NewMessage};
use super::settings;
use crate::StoreError;
use sea_orm::ConnectionTrait;

/// Queues the reminders for an appointment at `starts_at`. Returns how many.
pub async fn schedule<C: ConnectionTrait>(
    conn: &C,
    appointment: Uuid,
    referral: Uuid,
    service: Uuid,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let policy = settings::of_service(conn, service).await?.policy();
    let due = policy.due_times(starts_at, now);
    for (_, at) in &due {
        let message = NewMessage {
            kind: MessageKind::Reminder,
            recipient: String::new(),
            referral_id: Some(referral),
            appointment: Some((appointment, starts_at)),
            not_before: *at,
        };
        outbox::enqueue(conn, &message, now).await?;
    }
    Ok(due.len())
}

/// The appointment will not happen at the time its reminders were made
/// for: they are skipped.
pub async fn withdraw<C: ConnectionTrait>(
    conn: &C,
    appointment: Uuid,
    why: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    outbox::skip_reminders_for(conn, appointment, why, now).await
}
