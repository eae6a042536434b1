//! Server-side sessions. The cookie holds a random token; the table holds only
//! its SHA-256 hash, so a copy of the database lets nobody sign in.

use chrono::{DateTime, Utc};
use convene_domain::identity::SessionStage;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::session;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub stage: SessionStage,
    pub csrf_token: String,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// What a new session needs.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: Uuid,
    pub stage: SessionStage,
    pub csrf_token: &'a str,
    pub client_address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    new: NewSession<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = session::ActiveModel {
        id: Set(id),
        token_hash: Set(new.token_hash.to_string()),
        user_id: Set(new.user_id),
        stage: Set(new.stage.code().to_string()),
        csrf_token: Set(new.csrf_token.to_string()),
        client_address: Set(new.client_address.map(str::to_string)),
        // Only enough of the browser's name to recognise it in a list.
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(200).collect())),
        created_at: Set(now),
        last_seen_at: Set(now),
    };
    session::Entity::insert(model)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn find_by_token_hash<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
        .map(to_record)
        .transpose()
}

/// Notes the session was used at `now` (for the idle timeout).
pub async fn touch<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn delete<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), StoreError> {
    session::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// Ends one of the user's sessions; false when it is not theirs.
pub async fn delete_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    let result = session::Entity::delete_many()
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends every session of the user except `keep` (password change, disable).
pub async fn delete_all_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, StoreError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(conn).await?.rows_affected)
}

pub async fn list_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<Vec<SessionRecord>, StoreError> {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .order_by_desc(session::Column::LastSeenAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

fn to_record(model: session::Model) -> Result<SessionRecord, StoreError> {
    let stage = SessionStage::parse(&model.stage).ok_or_else(|| {
        StoreError::Corrupt(format!("session {}: stage {:?}", model.id, model.stage))
    })?;
    Ok(SessionRecord {
        id: model.id,
        user_id: model.user_id,
        stage,
        csrf_token: model.csrf_token,
        client_address: model.client_address,
        user_agent: model.user_agent,
        created_at: model.created_at,
        last_seen_at: model.last_seen_at,
    })
}
