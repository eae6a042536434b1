//! Carrying out an import run: list the feed, fetch every listed service
//! into staging, then store the staged services in batches. Each step is
//! saved as it completes, so a run interrupted at any point (a feed that
//! times out, a restart) carries on from there when tried again, and the
//! directory is changed only once everything has been fetched.

use std::collections::HashSet;

use chrono::Duration;
use convene_domain::clock::SharedClock;
use convene_domain::directory::imports::{ImportRun, ImportStatus};
use convene_store::directory::imports;
use convene_store::directory::services;
use convene_store::{Store, StoreError, instance};
use serde_json::Value;
use uuid::Uuid;

use crate::feed::{FeedClient, FetchOptions};
use crate::import::{BATCH, store_batch};

/// Services fetched between saves (and lease renewals).
const FETCH_BATCH: u64 = 200;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub fetch: FetchOptions,
    /// How long a run stays claimed without its worker renewing it; a run
    /// whose worker stopped is taken up again after this.
    pub lease: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            fetch: FetchOptions::default(),
            lease: Duration::minutes(10),
        }
    }
}

/// The source name imported services carry, for a feed's base URL.
pub fn source_of(feed: &str) -> String {
    format!("import:{}", feed.trim_end_matches('/'))
}

/// Where the bookmark for incremental imports of a feed is kept.
pub fn bookmark_key(feed: &str) -> String {
    format!("import_last:{}", feed.trim_end_matches('/'))
}

/// Takes the oldest waiting (or abandoned) run, if any, and carries it out.
pub async fn work_once(
    store: &Store,
    clock: &SharedClock,
    options: &RunOptions,
) -> Result<Option<ImportRun>, StoreError> {
    let Some(run) = imports::claim(store.conn(), None, clock.now(), options.lease).await? else {
        return Ok(None);
    };
    tracing::info!(run = %run.id, "import run started");
    let done = execute(store, clock, run, options, &|_| {}).await?;
    tracing::info!(run = %done.id, status = %done.status, "import run ended");
    Ok(Some(done))
}

/// Carries out a run the caller has claimed, reporting progress after each
/// step. Problems with the feed end the run as failed (keeping what was
/// fetched); a database error is returned, leaving the run to be taken up
/// again when its lease lapses.
pub async fn execute(
    store: &Store,
    clock: &SharedClock,
    run: ImportRun,
    options: &RunOptions,
    progress: &(dyn Fn(&ImportRun) + Sync),
) -> Result<ImportRun, StoreError> {
    let id = run.id;
    let fetch = FetchOptions {
        modified_after: run.modified_after,
        ..options.fetch.clone()
    };
    if run.status != ImportStatus::Storing
        && let Err(message) = fetch_all(store, clock, &run, &fetch, options.lease, progress).await?
    {
        imports::finish(store.conn(), id, Err(message), clock.now()).await?;
        return current(store, id).await;
    }
    imports::renew(
        store.conn(),
        id,
        ImportStatus::Storing,
        clock.now() + options.lease,
    )
    .await?;
    let run = current(store, id).await?;
    progress(&run);
    store_all(store, clock, &run, options.lease, progress).await?;

    let run = current(store, id).await?;
    let mut closed = 0;
    let complete = run.problems.refused_count == 0;
    // A run that asked for everything saw every active service of the
    // feed: what was imported from it before and is no longer listed has
    // closed. Only when nothing was refused, since a refused record might
    // be a listed service.
    if run.modified_after.is_none() && complete {
        let listed: HashSet<Uuid> = imports::listed_ids(store.conn(), id)
            .await?
            .iter()
            .filter_map(|text| Uuid::parse_str(text).ok())
            .collect();
        let (source, now) = (source_of(&run.source), clock.now());
        closed = store
            .transaction(move |txn| {
                Box::pin(
                    async move { services::deactivate_missing(txn, &source, &listed, now).await },
                )
            })
            .await?
            .len();
    }
    // The next run asks only for what changed after this one began, unless
    // something was refused: then the next run tries those again.
    if complete && let Some(started) = run.started_at {
        instance::set_fact(
            store.conn(),
            &bookmark_key(&run.source),
            &started.to_rfc3339(),
        )
        .await?;
    }
    imports::finish(store.conn(), id, Ok(closed as u64), clock.now()).await?;
    let run = current(store, id).await?;
    progress(&run);
    Ok(run)
}

async fn current(store: &Store, id: Uuid) -> Result<ImportRun, StoreError> {
    imports::get(store.conn(), id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Lists (unless already listed) and fetches everything not yet fetched.
/// `Ok(Err(message))` when the feed failed.
async fn fetch_all(
    store: &Store,
    clock: &SharedClock,
    run: &ImportRun,
    fetch: &FetchOptions,
    lease: Duration,
    progress: &(dyn Fn(&ImportRun) + Sync),
) -> Result<Result<(), String>, StoreError> {
    let id = run.id;
    let feed = match FeedClient::new(&run.source, fetch) {
        Ok(feed) => feed,
        Err(error) => return Ok(Err(error.to_string())),
    };
    if !run.listed {
        let items = match feed.list().await {
            Ok(items) => items,
            Err(error) => return Ok(Err(error.to_string())),
        };
        store
            .transaction(move |txn| {
                Box::pin(async move { imports::stage_listing(txn, id, &items).await })
            })
            .await?;
        progress(&current(store, id).await?);
    }
    loop {
        let batch = imports::unfetched(store.conn(), id, FETCH_BATCH).await?;
        if batch.is_empty() {
            return Ok(Ok(()));
        }
        let ids: Vec<String> = batch.iter().map(|(_, item)| item.clone()).collect();
        let documents = match feed.fetch(&ids).await {
            Ok(documents) => documents,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let fetched: Vec<(i64, String)> = batch
            .iter()
            .zip(&documents)
            .map(|((position, _), document)| (*position, document.to_string()))
            .collect();
        store
            .transaction(move |txn| {
                Box::pin(async move { imports::save_fetched(txn, id, &fetched).await })
            })
            .await?;
        imports::renew(
            store.conn(),
            id,
            ImportStatus::Fetching,
            clock.now() + lease,
        )
        .await?;
        progress(&current(store, id).await?);
    }
}

/// Stores every staged service from where the run got to.
async fn store_all(
    store: &Store,
    clock: &SharedClock,
    run: &ImportRun,
    lease: Duration,
    progress: &(dyn Fn(&ImportRun) + Sync),
) -> Result<(), StoreError> {
    let source = source_of(&run.source);
    let mut from = run.stored;
    loop {
        let batch = imports::staged(store.conn(), run.id, from, BATCH as u64).await?;
        let Some((last, _)) = batch.last() else {
            return Ok(());
        };
        from = *last as u64 + 1;
        // Staged text was written from parsed JSON, so it parses; if the
        // database was changed underneath, the record is refused by the
        // checks like any other malformed record.
        let documents: Vec<Value> = batch
            .iter()
            .map(|(_, text)| serde_json::from_str(text).unwrap_or(Value::Null))
            .collect();
        let first = batch[0].0 as usize;
        store_batch(store, clock, &documents, first, &source, Some(run.id)).await?;
        imports::renew(
            store.conn(),
            run.id,
            ImportStatus::Storing,
            clock.now() + lease,
        )
        .await?;
        progress(&current(store, run.id).await?);
    }
}
