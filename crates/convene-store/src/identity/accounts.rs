//! Accounts and their memberships of organisations.

use chrono::{DateTime, Utc};
use convene_domain::identity::second_factor::{secret_base32, secret_from_base32};
use convene_domain::identity::{Account, Membership, Role};
use convene_domain::ids::new_id;
use sea_orm::sea_query::{Condition, Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{membership, user};

/// Creates an account. `password_hash` is `None` for an invited person who
/// has not yet chosen a password.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    email: &str,
    display_name: &str,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Account, StoreError> {
    let model = user::ActiveModel {
        id: Set(id),
        email: Set(email.to_string()),
        display_name: Set(display_name.to_string()),
        password_hash: Set(password_hash.map(str::to_string)),
        totp_secret: Set(None),
        totp_last_step: Set(None),
        totp_enabled_at: Set(None),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    user::Entity::insert(model)
        .exec_without_returning(conn)
        .await?;
    get(conn, id).await?.ok_or(StoreError::NotFound)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Account>, StoreError> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Finds an account by (normalised) email address.
pub async fn find_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &str,
) -> Result<Option<Account>, StoreError> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Every account, by name.
pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<Vec<Account>, StoreError> {
    user::Entity::find()
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn set_password<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update(conn, id, |m| {
        m.password_hash = Set(Some(password_hash.to_string()));
        m.updated_at = Set(now);
    })
    .await
}

/// Turns the second factor on with `secret`, forgetting any earlier one.
pub async fn enable_second_factor<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    secret: &[u8],
    first_step: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update(conn, id, |m| {
        m.totp_secret = Set(Some(secret_base32(secret)));
        m.totp_last_step = Set(Some(first_step));
        m.totp_enabled_at = Set(Some(now));
        m.updated_at = Set(now);
    })
    .await
}

/// Records that the code for `step` was used. Returns false when that step
/// (or a later one) was already used: the conditional update makes two
/// simultaneous uses of one code impossible, not just unlikely.
pub async fn use_totp_step<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    step: i64,
) -> Result<bool, StoreError> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .filter(user::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(user::Column::TotpLastStep.is_null())
                .add(user::Column::TotpLastStep.lt(step)),
        )
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_disabled<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update(conn, id, |m| {
        m.disabled_at = Set(disabled.then_some(now));
        m.updated_at = Set(now);
    })
    .await
}

async fn update<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    change: impl FnOnce(&mut user::ActiveModel),
) -> Result<(), StoreError> {
    let existing = user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut model: user::ActiveModel = existing.into();
    change(&mut model);
    model.update(conn).await?;
    Ok(())
}

/// Every role the account holds, in every organisation.
pub async fn memberships<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<Vec<Membership>, StoreError> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            let role = m
                .role
                .parse::<Role>()
                .map_err(|e| StoreError::Corrupt(format!("membership {}: {e}", m.id)))?;
            Ok(Membership {
                organisation_id: m.organisation_id,
                role,
            })
        })
        .collect()
}

/// Gives the account `role` in the organisation, replacing any role it had
/// there.
pub async fn set_role<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    organisation_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = membership::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user_id),
        organisation_id: Set(organisation_id),
        role: Set(role.code().to_string()),
        created_at: Set(now),
    };
    membership::Entity::insert(model)
        .on_conflict(
            OnConflict::columns([
                membership::Column::UserId,
                membership::Column::OrganisationId,
            ])
            .update_column(membership::Column::Role)
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The accounts of one organisation with their role there, by name.
pub async fn members_of<C: ConnectionTrait>(
    conn: &C,
    organisation_id: Uuid,
) -> Result<Vec<(Account, Role)>, StoreError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation_id))
        .all(conn)
        .await?;
    let mut members = Vec::with_capacity(rows.len());
    for row in rows {
        let role = row
            .role
            .parse::<Role>()
            .map_err(|e| StoreError::Corrupt(format!("membership {}: {e}", row.id)))?;
        if let Some(account) = get(conn, row.user_id).await? {
            members.push((account, role));
        }
    }
    members.sort_by(|a, b| {
        a.0.display_name
            .cmp(&b.0.display_name)
            .then(a.0.id.cmp(&b.0.id))
    });
    Ok(members)
}

fn to_domain(model: user::Model) -> Result<Account, StoreError> {
    let totp_secret = match &model.totp_secret {
        Some(text) => Some(secret_from_base32(text).ok_or_else(|| {
            StoreError::Corrupt(format!("account {}: second-factor secret", model.id))
        })?),
        None => None,
    };
    Ok(Account {
        id: model.id,
        email: model.email,
        display_name: model.display_name,
        password_hash: model.password_hash,
        totp_secret,
        totp_last_step: model.totp_last_step,
        totp_enabled_at: model.totp_enabled_at,
        disabled_at: model.disabled_at,
        created_at: model.created_at,
    })
}

/// Gives the person with `email` the `role` in an organisation, creating
/// their account (without a password) if they have none, and ends their
/// sessions so new rights and any second-factor rule apply from their next
/// sign-in. Returns the account and whether it still needs a password (and
/// so an invitation link).
pub async fn add_to_organisation<C: ConnectionTrait>(
    conn: &C,
    email: &str,
    display_name: &str,
    organisation_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(Uuid, bool), StoreError> {
    let (user_id, needs_password) = match find_by_email(conn, email).await? {
        Some(account) => (account.id, account.password_hash.is_none()),
        None => {
            let id = new_id();
            create(conn, id, email, display_name, None, now).await?;
            (id, true)
        }
    };
    set_role(conn, user_id, organisation_id, role, now).await?;
    crate::identity::sessions::delete_all_for_user(conn, user_id, None).await?;
    Ok((user_id, needs_password))
}
