//! Sharing decisions about a person: shares with their lawful basis, a
//! decision not to share, and consent given or withdrawn. A share without
//! consent opens a safeguarding review for the deciding organisation.

use chrono::{DateTime, Utc};
use convene_domain::ids::new_id;
use convene_domain::people::sharing::{
    ConsentEvent, HealthCondition, LawfulBasis, Share, SharedItem,
};
use convene_domain::sealing::DataKeys;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::share;
use crate::referrals::follow_ups::{self, FollowUpKind};

/// What kind of entry a sharing record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareKind {
    Shared,
    NotShared,
    ConsentGiven,
    ConsentWithdrawn,
}

impl ShareKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::NotShared => "not_shared",
            Self::ConsentGiven => "consent_given",
            Self::ConsentWithdrawn => "consent_withdrawn",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [
            Self::Shared,
            Self::NotShared,
            Self::ConsentGiven,
            Self::ConsentWithdrawn,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// One sharing record, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareEntry {
    pub id: Uuid,
    pub kind: ShareKind,
    pub referral_id: Option<Uuid>,
    pub basis: Option<LawfulBasis>,
    pub health_condition: Option<HealthCondition>,
    /// The purpose of a share, or the reasons for not sharing.
    pub purpose: Option<String>,
    pub recipient_organisation_id: Option<Uuid>,
    pub items: Vec<SharedItem>,
    pub justification: Option<String>,
    pub privacy_notice_version: Option<String>,
    pub decided_by: Uuid,
    pub decided_by_organisation: Uuid,
    pub decided_at: DateTime<Utc>,
    pub needs_safeguarding_review: bool,
}

fn context(column: &str, id: Uuid) -> String {
    format!("shares.{column}.{id}")
}

pub(crate) fn sealed(
    keys: &DataKeys,
    column: &str,
    id: Uuid,
    value: Option<&str>,
) -> Result<Option<String>, StoreError> {
    value
        .map(|v| keys.seal(v, &context(column, id)))
        .transpose()
        .map_err(|e| StoreError::Sealing(e.to_string()))
}

/// Records a share of `person`'s data (for `referral`, if any).
pub async fn record_share<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    person: Uuid,
    referral: Option<Uuid>,
    share: &Share,
    by_organisation: Uuid,
) -> Result<Uuid, StoreError> {
    let id = new_id();
    let items: Vec<&str> = share.items.iter().map(|i| i.code()).collect();
    share::Entity::insert(share::ActiveModel {
        id: Set(id),
        person_id: Set(person),
        referral_id: Set(referral),
        kind: Set(ShareKind::Shared.code().to_string()),
        basis: Set(Some(share.basis.code().to_string())),
        health_condition: Set(share.health_condition.map(|c| c.code().to_string())),
        purpose: Set(sealed(keys, "purpose", id, Some(&share.purpose))?),
        recipient_organisation_id: Set(Some(share.recipient_organisation)),
        items: Set(items.join(",")),
        justification: Set(sealed(
            keys,
            "justification",
            id,
            share.justification.as_deref(),
        )?),
        privacy_notice_version: Set(Some(share.privacy_notice_version.clone())),
        decided_by: Set(share.decided_by),
        decided_by_organisation: Set(by_organisation),
        decided_at: Set(share.decided_at),
        needs_safeguarding_review: Set(share.needs_safeguarding_review()),
    })
    .exec_without_returning(conn)
    .await?;
    if share.needs_safeguarding_review()
        && let Some(referral) = referral
    {
        follow_ups::create(
            conn,
            by_organisation,
            referral,
            None,
            FollowUpKind::SafeguardingReview,
            share.decided_at,
        )
        .await?;
    }
    Ok(id)
}

/// Records a decision not to share, a consent given, or a consent
/// withdrawn, with its reasons.
#[allow(clippy::too_many_arguments)]
pub async fn record_decision<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    person: Uuid,
    referral: Option<Uuid>,
    kind: ShareKind,
    reasons: Option<&str>,
    decided_by: Uuid,
    by_organisation: Uuid,
    at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    if kind == ShareKind::Shared {
        return Err(StoreError::Refused("use record_share for a share".into()));
    }
    if kind == ShareKind::NotShared && reasons.is_none_or(|r| r.trim().is_empty()) {
        return Err(StoreError::Refused(
            "give the reasons for not sharing".into(),
        ));
    }
    let id = new_id();
    share::Entity::insert(share::ActiveModel {
        id: Set(id),
        person_id: Set(person),
        referral_id: Set(referral),
        kind: Set(kind.code().to_string()),
        basis: Set(None),
        health_condition: Set(None),
        purpose: Set(sealed(keys, "purpose", id, reasons.map(str::trim))?),
        recipient_organisation_id: Set(None),
        items: Set(String::new()),
        justification: Set(None),
        privacy_notice_version: Set(None),
        decided_by: Set(decided_by),
        decided_by_organisation: Set(by_organisation),
        decided_at: Set(at),
        needs_safeguarding_review: Set(false),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

/// The lawful basis of the latest share of `referral` with `recipient`.
pub async fn basis_for<C: ConnectionTrait>(
    conn: &C,
    referral: Uuid,
    recipient: Uuid,
) -> Result<Option<LawfulBasis>, StoreError> {
    Ok(share::Entity::find()
        .filter(share::Column::ReferralId.eq(referral))
        .filter(share::Column::Kind.eq(ShareKind::Shared.code()))
        .filter(share::Column::RecipientOrganisationId.eq(recipient))
        .order_by_desc(share::Column::DecidedAt)
        .one(conn)
        .await?
        .and_then(|row| row.basis.as_deref().and_then(LawfulBasis::parse)))
}

/// Consent given and withdrawn for a person, oldest first (a share on the
/// basis of consent counts as consent given).
pub async fn consent_history<C: ConnectionTrait>(
    conn: &C,
    person: Uuid,
) -> Result<Vec<ConsentEvent>, StoreError> {
    Ok(share::Entity::find()
        .filter(share::Column::PersonId.eq(person))
        .order_by_asc(share::Column::DecidedAt)
        .order_by_asc(share::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|row| match ShareKind::parse(&row.kind)? {
            ShareKind::ConsentGiven => Some(ConsentEvent::Given),
            ShareKind::ConsentWithdrawn => Some(ConsentEvent::Withdrawn),
            ShareKind::Shared if row.basis.as_deref() == Some(LawfulBasis::Consent.code()) => {
                Some(ConsentEvent::Given)
            }
            _ => None,
        })
        .collect())
}

/// Every sharing record about a person, oldest first.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    person: Uuid,
) -> Result<Vec<ShareEntry>, StoreError> {
    let open = |column: &str, id: Uuid, value: Option<String>| {
        value
            .map(|v| keys.open(&v, &context(column, id)))
            .transpose()
            .map_err(|e| StoreError::Sealing(e.to_string()))
    };
    share::Entity::find()
        .filter(share::Column::PersonId.eq(person))
        .order_by_asc(share::Column::DecidedAt)
        .order_by_asc(share::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            let corrupt = |what: &str| StoreError::Corrupt(format!("share {what}"));
            Ok(ShareEntry {
                id: row.id,
                kind: ShareKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
                referral_id: row.referral_id,
                basis: row.basis.as_deref().and_then(LawfulBasis::parse),
                health_condition: row
                    .health_condition
                    .as_deref()
                    .and_then(HealthCondition::parse),
                purpose: open("purpose", row.id, row.purpose)?,
                recipient_organisation_id: row.recipient_organisation_id,
                items: row
                    .items
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(|c| SharedItem::parse(c).ok_or_else(|| corrupt("item")))
                    .collect::<Result<_, _>>()?,
                justification: open("justification", row.id, row.justification)?,
                privacy_notice_version: row.privacy_notice_version,
                decided_by: row.decided_by,
                decided_by_organisation: row.decided_by_organisation,
                decided_at: row.decided_at,
                needs_safeguarding_review: row.needs_safeguarding_review,
            })
        })
        .collect()
}
