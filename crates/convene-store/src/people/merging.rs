//! Merging two records of the same person: everything held under the
//! duplicate (referrals, sharing decisions, households) moves to the record
//! kept, and the duplicate stays, marked as merged, so its history still
//! says where it went. Call in a transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::records;
use crate::StoreError;
use crate::entities::{household_member, referral, referral_person, share};

pub async fn merge<C: ConnectionTrait>(
    conn: &C,
    duplicate: Uuid,
    kept: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if duplicate == kept {
        return Err(StoreError::Refused(
            "a record cannot be merged into itself".into(),
        ));
    }
    // Referrals both were on keep the kept record's row; the rest move.
    let on_both: Vec<Uuid> = referral_person::Entity::find()
        .filter(referral_person::Column::PersonId.eq(kept))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.referral_id)
        .collect();
    referral_person::Entity::delete_many()
        .filter(referral_person::Column::PersonId.eq(duplicate))
        .filter(referral_person::Column::ReferralId.is_in(on_both))
        .exec(conn)
        .await?;
    referral_person::Entity::update_many()
        .col_expr(referral_person::Column::PersonId, Expr::value(kept))
        .filter(referral_person::Column::PersonId.eq(duplicate))
        .exec(conn)
        .await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::SubjectId, Expr::value(kept))
        .filter(referral::Column::SubjectId.eq(duplicate))
        .exec(conn)
        .await?;
    share::Entity::update_many()
        .col_expr(share::Column::PersonId, Expr::value(kept))
        .filter(share::Column::PersonId.eq(duplicate))
        .exec(conn)
        .await?;
    let homes_of_kept: Vec<Uuid> = household_member::Entity::find()
        .filter(household_member::Column::PersonId.eq(kept))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.household_id)
        .collect();
    household_member::Entity::delete_many()
        .filter(household_member::Column::PersonId.eq(duplicate))
        .filter(household_member::Column::HouseholdId.is_in(homes_of_kept))
        .exec(conn)
        .await?;
    household_member::Entity::update_many()
        .col_expr(household_member::Column::PersonId, Expr::value(kept))
        .filter(household_member::Column::PersonId.eq(duplicate))
        .exec(conn)
        .await?;
    records::mark_merged(conn, duplicate, kept, now).await
}
