//! Versions of services: every change proposed in Convene, who proposed it
//! and when, and whether it was approved.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::StoreError;
use crate::entities::service_version::{ActiveModel, Column, Entity, Model};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    /// Waiting for a coordinator.
    Pending,
    /// Approved (or made by a coordinator) and published.
    Published,
    Rejected,
}

impl VersionState {
    fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Published => "published",
            Self::Rejected => "rejected",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [Self::Pending, Self::Published, Self::Rejected]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Waiting for approval",
            Self::Published => "Published",
            Self::Rejected => "Not approved",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub id: Uuid,
    pub service_id: Uuid,
    pub organisation_id: Uuid,
    pub document: Value,
    pub delivery_modes: Vec<String>,
    pub who_can_refer: String,
    pub changed_fields: Vec<String>,
    /// Fingerprint of the live document the change was made from (empty
    /// for a new service), so a stale change is never approved over newer
    /// edits.
    pub base_fingerprint: String,
    pub state: VersionState,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub async fn record<C: ConnectionTrait>(conn: &C, version: &Version) -> Result<(), StoreError> {
    let model = ActiveModel {
        id: Set(version.id),
        service_id: Set(version.service_id),
        organisation_id: Set(version.organisation_id),
        document: Set(version.document.to_string()),
        delivery_modes: Set(version.delivery_modes.join(",")),
        who_can_refer: Set(version.who_can_refer.clone()),
        changed_fields: Set(version.changed_fields.join(",")),
        base_fingerprint: Set(version.base_fingerprint.clone()),
        state: Set(version.state.code().to_string()),
        proposed_by: Set(version.proposed_by),
        proposed_at: Set(version.proposed_at),
        decided_by: Set(version.decided_by),
        decided_at: Set(version.decided_at),
    };
    Entity::insert(model).exec_without_returning(conn).await?;
    Ok(())
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Version>, StoreError> {
    Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_version)
        .transpose()
}

/// Decides a pending version; false when it was no longer pending (someone
/// else decided first).
pub async fn decide<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    state: VersionState,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = Entity::update_many()
        .col_expr(Column::State, Expr::value(state.code()))
        .col_expr(Column::DecidedBy, Expr::value(by))
        .col_expr(Column::DecidedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(VersionState::Pending.code()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Versions waiting for approval, oldest first.
pub async fn pending<C: ConnectionTrait>(conn: &C) -> Result<Vec<Version>, StoreError> {
    Entity::find()
        .filter(Column::State.eq(VersionState::Pending.code()))
        .order_by_asc(Column::ProposedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(to_version)
        .collect()
}

/// Every version of a service, newest first.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    service_id: Uuid,
) -> Result<Vec<Version>, StoreError> {
    Entity::find()
        .filter(Column::ServiceId.eq(service_id))
        .order_by_desc(Column::ProposedAt)
        .order_by_desc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_version)
        .collect()
}

fn to_version(m: Model) -> Result<Version, StoreError> {
    let split = |s: &str| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    Ok(Version {
        id: m.id,
        service_id: m.service_id,
        organisation_id: m.organisation_id,
        document: serde_json::from_str(&m.document)
            .map_err(|e| StoreError::Corrupt(format!("version {}: {e}", m.id)))?,
        delivery_modes: split(&m.delivery_modes),
        who_can_refer: m.who_can_refer,
        changed_fields: split(&m.changed_fields),
        base_fingerprint: m.base_fingerprint,
        state: VersionState::parse(&m.state)
            .ok_or_else(|| StoreError::Corrupt(format!("version {}: state", m.id)))?,
        proposed_by: m.proposed_by,
        proposed_at: m.proposed_at,
        decided_by: m.decided_by,
        decided_at: m.decided_at,
    })
}
