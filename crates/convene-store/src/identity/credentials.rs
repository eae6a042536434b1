//! Credentials other than passwords: API tokens, recovery codes and one-time
//! links (invitations, password resets). All stored as SHA-256 hashes.

use chrono::{DateTime, Utc};
use convene_domain::identity::Scope;
use convene_domain::ids::new_id;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{api_token, one_time_link, recovery_code};

/// A stored API token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

pub async fn create_token<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    name: &str,
    token_hash: &str,
    scopes: &[Scope],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    let id = new_id();
    let model = api_token::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        name: Set(name.to_string()),
        token_hash: Set(token_hash.to_string()),
        scopes: Set(Scope::join(scopes)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    api_token::Entity::insert(model)
        .exec_without_returning(conn)
        .await?;
    Ok(ApiToken {
        id,
        user_id,
        name: name.to_string(),
        scopes: scopes.to_vec(),
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    })
}

pub async fn find_token<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<ApiToken>, StoreError> {
    api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
        .map(to_token)
        .transpose()
}

pub async fn touch_token<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes one of the user's tokens; false when it is not theirs or already
/// revoked.
pub async fn revoke_token<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn tokens_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<Vec<ApiToken>, StoreError> {
    api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_token)
        .collect()
}

fn to_token(model: api_token::Model) -> Result<ApiToken, StoreError> {
    let scopes = Scope::parse_list(&model.scopes)
        .map_err(|e| StoreError::Corrupt(format!("api token {}: {e}", model.id)))?;
    Ok(ApiToken {
        id: model.id,
        user_id: model.user_id,
        name: model.name,
        scopes,
        created_at: model.created_at,
        expires_at: model.expires_at,
        last_used_at: model.last_used_at,
        revoked_at: model.revoked_at,
    })
}

/// Replaces the user's recovery codes with new ones (by hash).
pub async fn replace_recovery_codes<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    for hash in hashes {
        let model = recovery_code::ActiveModel {
            id: Set(new_id()),
            user_id: Set(user_id),
            code_hash: Set(hash.clone()),
            used_at: Set(None),
            created_at: Set(now),
        };
        recovery_code::Entity::insert(model)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Uses one recovery code; false when it is wrong or already used.
pub async fn use_recovery_code<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(code_hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn unused_recovery_codes<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<u64, StoreError> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(conn)
        .await?)
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Invitation,
    PasswordReset,
}

impl LinkPurpose {
    fn code(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
        }
    }
}

pub async fn create_link<C: ConnectionTrait>(
    conn: &C,
    purpose: LinkPurpose,
    user_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = one_time_link::ActiveModel {
        id: Set(new_id()),
        purpose: Set(purpose.code().to_string()),
        token_hash: Set(token_hash.to_string()),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    };
    one_time_link::Entity::insert(model)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Stores a link for `purpose` whose URL carries `secret`, valid for the
/// purpose's lifetime.
pub async fn store_link<C: ConnectionTrait>(
    conn: &C,
    purpose: LinkPurpose,
    user_id: Uuid,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use convene_domain::identity::tokens::{INVITATION_DAYS, RESET_MINUTES, hash_secret};
    let lifetime = match purpose {
        LinkPurpose::Invitation => chrono::Duration::days(INVITATION_DAYS),
        LinkPurpose::PasswordReset => chrono::Duration::minutes(RESET_MINUTES),
    };
    create_link(
        conn,
        purpose,
        user_id,
        &hash_secret(secret),
        now + lifetime,
        now,
    )
    .await
}

/// The account a link is for, if the link exists, is unused and unexpired
/// (without using it).
pub async fn peek_link<C: ConnectionTrait>(
    conn: &C,
    purpose: LinkPurpose,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    Ok(one_time_link::Entity::find()
        .filter(one_time_link::Column::Purpose.eq(purpose.code()))
        .filter(one_time_link::Column::TokenHash.eq(token_hash))
        .filter(one_time_link::Column::UsedAt.is_null())
        .filter(one_time_link::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
        .map(|link| link.user_id))
}

/// Uses a link: returns its account once, and never again.
pub async fn use_link<C: ConnectionTrait>(
    conn: &C,
    purpose: LinkPurpose,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    let Some(user_id) = peek_link(conn, purpose, token_hash, now).await? else {
        return Ok(None);
    };
    let result = one_time_link::Entity::update_many()
        .col_expr(one_time_link::Column::UsedAt, Expr::value(now))
        .filter(one_time_link::Column::TokenHash.eq(token_hash))
        .filter(one_time_link::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((result.rows_affected == 1).then_some(user_id))
}

/// Ends every unused link of the account (after its password is set, no
/// older invitation or reset link may be used).
pub async fn expire_links_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    one_time_link::Entity::update_many()
        .col_expr(one_time_link::Column::UsedAt, Expr::value(now))
        .filter(one_time_link::Column::UserId.eq(user_id))
        .filter(one_time_link::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
