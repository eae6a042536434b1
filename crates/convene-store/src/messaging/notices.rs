//! Staff notices by email: a new referral in an organisation's inbox, a
//! referral accepted or declined, an appointment missed, a follow-up
//! overdue. Each is queued in the transaction of the change and says only
//! a reference and a link (composed when sent).

use chrono::{DateTime, Utc};
use convene_domain::messaging::templates::MessageKind;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::outbox::{self, NewMessage};
use crate::StoreError;
use crate::entities::{follow_up, referral};

/// The organisation's address for referrals, if it has one.
async fn organisation_email<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
) -> Result<Option<String>, StoreError> {
    Ok(crate::organisations::get(conn, organisation)
        .await?
        .and_then(|o| o.details.email))
}

/// The practitioner who made the referral, else their organisation. A
/// family who referred themselves has no referrer: no notice.
async fn referrer_email<C: ConnectionTrait>(
    conn: &C,
    row: &referral::Model,
) -> Result<Option<String>, StoreError> {
    if let Some(user) = row.referred_by
        && let Some(account) = crate::identity::accounts::get(conn, user).await?
        && account.disabled_at.is_none()
    {
        return Ok(Some(account.email));
    }
    match row.referring_organisation_id {
        Some(organisation) => organisation_email(conn, organisation).await,
        None => Ok(None),
    }
}

/// Queues the notice `kind` about referral `id` for whoever it is for.
pub async fn tell<C: ConnectionTrait>(
    conn: &C,
    kind: MessageKind,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(row) = referral::Entity::find_by_id(id).one(conn).await? else {
        return Ok(());
    };
    let email = match kind {
        MessageKind::ReferralReceived => {
            organisation_email(conn, row.receiving_organisation_id).await?
        }
        MessageKind::ReferralAccepted
        | MessageKind::ReferralDeclined
        | MessageKind::DidNotAttend => referrer_email(conn, &row).await?,
        // Follow-ups name their organisation: see `tell_overdue`.
        MessageKind::FollowUpOverdue | MessageKind::Reminder | MessageKind::SensitiveReminder => {
            None
        }
    };
    if let Some(email) = email {
        outbox::enqueue(conn, &NewMessage::notice(kind, email, id, now), now).await?;
    }
    Ok(())
}

/// Tells each organisation about its follow-ups that passed their due time
/// and were not told of before; each follow-up once. Returns how many.
pub async fn tell_overdue<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let overdue = follow_up::Entity::find()
        .filter(follow_up::Column::DoneAt.is_null())
        .filter(follow_up::Column::NotifiedAt.is_null())
        .filter(follow_up::Column::DueAt.lt(now))
        .order_by_asc(follow_up::Column::DueAt)
        .limit(500)
        .all(conn)
        .await?;
    let mut told = 0;
    for item in overdue {
        // Marked first, conditionally, so two workers tell once.
        let marked = follow_up::Entity::update_many()
            .col_expr(follow_up::Column::NotifiedAt, Expr::value(now))
            .filter(follow_up::Column::Id.eq(item.id))
            .filter(follow_up::Column::NotifiedAt.is_null())
            .exec(conn)
            .await?;
        if marked.rows_affected != 1 {
            continue;
        }
        if let Some(email) = organisation_email(conn, item.organisation_id).await? {
            let notice =
                NewMessage::notice(MessageKind::FollowUpOverdue, email, item.referral_id, now);
            outbox::enqueue(conn, &notice, now).await?;
            told += 1;
        }
    }
    Ok(told)
}
