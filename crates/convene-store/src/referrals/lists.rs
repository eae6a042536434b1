//! An organisation's referral lists, received and made, a page at a time,
//! newest change first, with how many each holds.

use convene_domain::referrals::ReferralState;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::records::{ReferralSummary, summary};
use crate::StoreError;
use crate::entities::referral;

/// Which page of a list, and how long a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListWindow {
    /// From 1.
    pub page: u64,
    pub per_page: u64,
}

impl ListWindow {
    pub fn first(per_page: u64) -> Self {
        Self { page: 1, per_page }
    }

    fn offset(self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.per_page)
    }
}

/// A page of a list, newest change first, and how many the list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub referrals: Vec<ReferralSummary>,
    pub total: u64,
}

async fn listed<C: ConnectionTrait>(
    conn: &C,
    query: sea_orm::Select<referral::Entity>,
    window: ListWindow,
) -> Result<Listed, StoreError> {
    let total = query.clone().count(conn).await?;
    let referrals = query
        .order_by_desc(referral::Column::UpdatedAt)
        .order_by_desc(referral::Column::Id)
        .offset(window.offset())
        .limit(window.per_page)
        .all(conn)
        .await?
        .iter()
        .map(summary)
        .collect::<Result<_, _>>()?;
    Ok(Listed { referrals, total })
}

/// Referrals an organisation has received (drafts are the referrer's own),
/// a page at a time.
pub async fn inbox<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
    window: ListWindow,
) -> Result<Listed, StoreError> {
    let query = referral::Entity::find()
        .filter(referral::Column::ReceivingOrganisationId.eq(organisation))
        .filter(referral::Column::State.ne(ReferralState::Draft.code()));
    listed(conn, query, window).await
}

/// Referrals an organisation has made, a page at a time.
pub async fn outgoing<C: ConnectionTrait>(
    conn: &C,
    organisation: Uuid,
    window: ListWindow,
) -> Result<Listed, StoreError> {
    let query =
        referral::Entity::find().filter(referral::Column::ReferringOrganisationId.eq(organisation));
    listed(conn, query, window).await
}
