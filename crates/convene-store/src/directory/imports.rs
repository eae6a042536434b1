//! Import runs and their staged records. A run is claimed by one worker at a
//! time through a lease that the worker renews; a run whose worker died is
//! claimed again when its lease runs out, and carries on from its staging.

use chrono::{DateTime, Duration, Utc};
use convene_domain::directory::imports::{ImportProblems, ImportRun, ImportStatus};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{import_run, import_staged};

/// What someone asked for.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub id: Uuid,
    pub source: String,
    pub full: bool,
    pub requested_by: Option<Uuid>,
    pub modified_after: Option<DateTime<Utc>>,
}

/// Counts a batch of stored records adds to its run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub handled: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

fn to_domain(row: import_run::Model) -> Result<ImportRun, StoreError> {
    let status = ImportStatus::parse(&row.status)
        .ok_or_else(|| StoreError::Corrupt(format!("import status {}", row.status)))?;
    let problems: ImportProblems = serde_json::from_str(&row.problems)
        .map_err(|e| StoreError::Corrupt(format!("import problems: {e}")))?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(ImportRun {
        id: row.id,
        source: row.source,
        full: row.full,
        status,
        requested_by: row.requested_by,
        requested_at: row.requested_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        modified_after: row.modified_after,
        listed: row.listed,
        total: count(row.total),
        fetched: count(row.fetched),
        stored: count(row.stored),
        created: count(row.created),
        updated: count(row.updated),
        unchanged: count(row.unchanged),
        closed: count(row.closed),
        problems,
        message: row.message,
    })
}

fn problems_text(problems: &ImportProblems) -> Result<String, StoreError> {
    serde_json::to_string(problems).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Queues a run.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    run: &NewRun,
    now: DateTime<Utc>,
) -> Result<ImportRun, StoreError> {
    import_run::ActiveModel {
        id: Set(run.id),
        source: Set(run.source.clone()),
        full: Set(run.full),
        status: Set(ImportStatus::Queued.code().to_string()),
        requested_by: Set(run.requested_by),
        requested_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        lease_until: Set(None),
        modified_after: Set(run.modified_after),
        listed: Set(false),
        total: Set(0),
        fetched: Set(0),
        stored: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        closed: Set(0),
        problems: Set(problems_text(&ImportProblems::default())?),
        message: Set(None),
    }
    .insert(conn)
    .await?;
    get(conn, run.id).await?.ok_or(StoreError::NotFound)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<ImportRun>, StoreError> {
    import_run::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// The latest runs, newest first.
pub async fn recent<C: ConnectionTrait>(
    conn: &C,
    limit: u64,
) -> Result<Vec<ImportRun>, StoreError> {
    import_run::Entity::find()
        .order_by_desc(import_run::Column::RequestedAt)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// The newest run of `source` that has not finished (queued, under way or
/// stopped), which a new request for the same feed should resume instead
/// of starting again.
pub async fn unfinished_for<C: ConnectionTrait>(
    conn: &C,
    source: &str,
) -> Result<Option<ImportRun>, StoreError> {
    import_run::Entity::find()
        .filter(import_run::Column::Source.eq(source))
        .filter(import_run::Column::Status.ne(ImportStatus::Finished.code()))
        .order_by_desc(import_run::Column::RequestedAt)
        .one(conn)
        .await?
        .map(to_domain)
        .transpose()
}

/// Puts a stopped run back in the queue, keeping what it fetched.
pub async fn requeue<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<bool, StoreError> {
    let result = import_run::Entity::update_many()
        .col_expr(
            import_run::Column::Status,
            Expr::value(ImportStatus::Queued.code()),
        )
        .col_expr(import_run::Column::Message, Expr::value(None::<String>))
        .col_expr(
            import_run::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(import_run::Column::Id.eq(id))
        .filter(import_run::Column::Status.eq(ImportStatus::Failed.code()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Takes the oldest run (or, given `only`, that run) that is queued, or
/// under way with a lapsed lease (its worker stopped), for `lease`. At most
/// one worker wins a run.
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    only: Option<Uuid>,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<ImportRun>, StoreError> {
    let claimable = Condition::any()
        .add(import_run::Column::Status.eq(ImportStatus::Queued.code()))
        .add(
            Condition::all()
                .add(
                    import_run::Column::Status
                        .is_in([ImportStatus::Fetching.code(), ImportStatus::Storing.code()]),
                )
                .add(
                    Condition::any()
                        .add(import_run::Column::LeaseUntil.is_null())
                        .add(import_run::Column::LeaseUntil.lt(now)),
                ),
        );
    let mut query = import_run::Entity::find().filter(claimable.clone());
    if let Some(id) = only {
        query = query.filter(import_run::Column::Id.eq(id));
    }
    let Some(candidate) = query
        .order_by_asc(import_run::Column::RequestedAt)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let status = match ImportStatus::parse(&candidate.status) {
        Some(ImportStatus::Queued) | None => ImportStatus::Fetching,
        Some(other) => other,
    };
    // Conditional on the run still being claimable, so two workers racing
    // for it cannot both win.
    let won = import_run::Entity::update_many()
        .col_expr(import_run::Column::Status, Expr::value(status.code()))
        .col_expr(import_run::Column::LeaseUntil, Expr::value(now + lease))
        .col_expr(
            import_run::Column::StartedAt,
            Expr::value(candidate.started_at.unwrap_or(now)),
        )
        .filter(import_run::Column::Id.eq(candidate.id))
        .filter(claimable)
        .exec(conn)
        .await?;
    if won.rows_affected != 1 {
        return Ok(None);
    }
    get(conn, candidate.id).await
}

/// Extends the lease of a run the caller holds; moves it to `status`.
pub async fn renew<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    status: ImportStatus,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    import_run::Entity::update_many()
        .col_expr(import_run::Column::Status, Expr::value(status.code()))
        .col_expr(import_run::Column::LeaseUntil, Expr::value(until))
        .filter(import_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Stages the feed's list of services, replacing any earlier list. Call in
/// a transaction: the list and the run's `listed` mark change together.
pub async fn stage_listing<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    items: &[String],
) -> Result<(), StoreError> {
    import_staged::Entity::delete_many()
        .filter(import_staged::Column::RunId.eq(id))
        .exec(conn)
        .await?;
    for (chunk_start, chunk) in (0..).step_by(500).zip(items.chunks(500)) {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(offset, item)| import_staged::ActiveModel {
                run_id: Set(id),
                position: Set(chunk_start + offset as i64),
                item_id: Set(item.clone()),
                document: Set(None),
            });
        import_staged::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    import_run::Entity::update_many()
        .col_expr(import_run::Column::Listed, Expr::value(true))
        .col_expr(import_run::Column::Total, Expr::value(items.len() as i64))
        .col_expr(import_run::Column::Fetched, Expr::value(0i64))
        .col_expr(import_run::Column::Stored, Expr::value(0i64))
        .filter(import_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Up to `limit` listed services not fetched yet: (position, id in feed).
pub async fn unfetched<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    limit: u64,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(import_staged::Entity::find()
        .filter(import_staged::Column::RunId.eq(id))
        .filter(import_staged::Column::Document.is_null())
        .order_by_asc(import_staged::Column::Position)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.position, row.item_id))
        .collect())
}

/// Keeps fetched documents and counts them. Call in a transaction.
pub async fn save_fetched<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    documents: &[(i64, String)],
) -> Result<(), StoreError> {
    for (position, document) in documents {
        import_staged::Entity::update_many()
            .col_expr(
                import_staged::Column::Document,
                Expr::value(document.clone()),
            )
            .filter(import_staged::Column::RunId.eq(id))
            .filter(import_staged::Column::Position.eq(*position))
            .exec(conn)
            .await?;
    }
    import_run::Entity::update_many()
        .col_expr(
            import_run::Column::Fetched,
            Expr::col(import_run::Column::Fetched).add(documents.len() as i64),
        )
        .filter(import_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Up to `limit` staged documents from `from` on: (position, document).
pub async fn staged<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: u64,
    limit: u64,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(import_staged::Entity::find()
        .filter(import_staged::Column::RunId.eq(id))
        .filter(import_staged::Column::Position.gte(from as i64))
        .filter(import_staged::Column::Document.is_not_null())
        .order_by_asc(import_staged::Column::Position)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|row| row.document.map(|d| (row.position, d)))
        .collect())
}

/// Every listed id in the feed, in order.
pub async fn listed_ids<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Vec<String>, StoreError> {
    Ok(import_staged::Entity::find()
        .select_only()
        .column(import_staged::Column::ItemId)
        .filter(import_staged::Column::RunId.eq(id))
        .order_by_asc(import_staged::Column::Position)
        .into_tuple::<String>()
        .all(conn)
        .await?)
}

/// Adds a stored batch's counts and problems. Call in the transaction that
/// stored the batch, so a run resumed after a crash neither repeats nor
/// skips a batch.
pub async fn record_batch<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    counts: &BatchCounts,
    problems: &ImportProblems,
) -> Result<(), StoreError> {
    let row = import_run::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut all: ImportProblems = serde_json::from_str(&row.problems)
        .map_err(|e| StoreError::Corrupt(format!("import problems: {e}")))?;
    all.absorb(problems.clone());
    let add = |n: u64| n as i64;
    let mut model: import_run::ActiveModel = row.clone().into();
    model.stored = Set(row.stored + add(counts.handled));
    model.created = Set(row.created + add(counts.created));
    model.updated = Set(row.updated + add(counts.updated));
    model.unchanged = Set(row.unchanged + add(counts.unchanged));
    model.problems = Set(problems_text(&all)?);
    model.update(conn).await?;
    Ok(())
}

/// Ends a run. A finished run's staging is removed; a failed run keeps it
/// for another attempt.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    outcome: Result<u64, String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (status, closed, message) = match outcome {
        Ok(closed) => (ImportStatus::Finished, Some(closed as i64), None),
        Err(message) => (ImportStatus::Failed, None, Some(message)),
    };
    let mut update = import_run::Entity::update_many()
        .col_expr(import_run::Column::Status, Expr::value(status.code()))
        .col_expr(
            import_run::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(import_run::Column::Message, Expr::value(message))
        .col_expr(import_run::Column::FinishedAt, Expr::value(now));
    if let Some(closed) = closed {
        update = update.col_expr(import_run::Column::Closed, Expr::value(closed));
    }
    update
        .filter(import_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    if status == ImportStatus::Finished {
        import_staged::Entity::delete_many()
            .filter(import_staged::Column::RunId.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(())
}
