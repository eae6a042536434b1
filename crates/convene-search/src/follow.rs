//! Filling the index from the database and following the change sequence.

use std::collections::HashSet;

use convene_store::Store;
use convene_store::directory::services::ServiceFilter;
use convene_store::directory::{candidates, changes};
use uuid::Uuid;

use crate::{DirectoryIndex, SearchError};

/// Changes read from the sequence at a time.
const BATCH: u64 = 5_000;

/// A new index holding every active service. Changes made while it loads
/// are applied by the next [`catch_up`].
pub async fn load(store: &Store) -> Result<DirectoryIndex, SearchError> {
    let index = DirectoryIndex::new()?;
    // Read the position first: anything later is caught up afterwards,
    // possibly twice, which is harmless.
    let position = changes::latest(store.conn()).await?;
    let services = candidates::matching(
        store.conn(),
        &ServiceFilter {
            active_only: true,
            ..Default::default()
        },
    )
    .await?;
    index.apply(services, &[], position)?;
    Ok(index)
}

/// Applies every change recorded since the index last looked, and returns
/// how many there were. Safe to call from many tasks: they take turns.
pub async fn catch_up(index: &DirectoryIndex, store: &Store) -> Result<usize, SearchError> {
    let _turn = index.following.lock().await;
    let mut applied = 0;
    loop {
        let batch = changes::since(store.conn(), index.applied(), BATCH).await?;
        let Some(&(through, _)) = batch.last() else {
            return Ok(applied);
        };
        let mut seen = HashSet::new();
        let ids: Vec<Uuid> = batch
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| seen.insert(*id))
            .collect();
        let active = candidates::active_among(store.conn(), &ids).await?;
        let still: HashSet<Uuid> = active.iter().map(|c| c.id).collect();
        let removed: Vec<Uuid> = ids.into_iter().filter(|id| !still.contains(id)).collect();
        index.apply(active, &removed, through)?;
        applied += batch.len();
    }
}
