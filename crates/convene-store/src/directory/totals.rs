//! Totals of matching services, remembered until the directory changes.
//!
//! Counting the active services of a national directory reads a whole
//! index (150,000 entries: tens of milliseconds, more on PostgreSQL), and
//! every page of the ORUK API's list says how many there are. The count
//! only changes when a service does, and every change to a service appends
//! to the change sequence in the same transaction (`changes`), so a total
//! is kept with the sequence number it was counted at and used while that
//! is still the latest.

use std::collections::HashMap;
use std::sync::Mutex;

use sea_orm::ConnectionTrait;

use super::changes;
use super::services::{self, ServiceFilter};
use crate::StoreError;

/// At most this many filters' totals are kept; past it, all are forgotten.
const MOST_KEPT: usize = 256;

#[derive(Debug, Default)]
pub struct ServiceTotals {
    /// Filter (as written by `Debug`) to (change number, total).
    counted: Mutex<HashMap<String, (i64, u64)>>,
}

impl ServiceTotals {
    /// How many services match `filter`, counted again only when the
    /// directory has changed since it was last counted.
    pub async fn total<C: ConnectionTrait>(
        &self,
        conn: &C,
        filter: &ServiceFilter,
    ) -> Result<u64, StoreError> {
        // Terms belong to taxonomies that change outside the sequence.
        if filter.taxonomy_id.is_some() {
            return services::total(conn, filter).await;
        }
        let key = format!("{filter:?}");
        // The number first: a change committed during the count makes the
        // kept total look older than it is (counted again next time),
        // never newer.
        let latest = changes::latest(conn).await?;
        if let Some(&(at, total)) = self.kept().get(&key)
            && at == latest
        {
            return Ok(total);
        }
        let total = services::total(conn, filter).await?;
        let mut kept = self.kept();
        if kept.len() >= MOST_KEPT {
            kept.clear();
        }
        kept.insert(key, (latest, total));
        Ok(total)
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, u64)>> {
        // The map holds plain numbers: one a panicking thread left is
        // still whole.
        self.counted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
