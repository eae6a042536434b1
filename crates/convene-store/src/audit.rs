//! The audit trail's storage: appending under a lock so the chain has one
//! order, searching, and reading in order for verification.
//!
//! There is deliberately no function here that updates or deletes an event;
//! the database's triggers refuse it anyway.

use chrono::{DateTime, Utc};
use convene_domain::audit::{AuditEntry, AuditEvent, GENESIS_HASH, chain_hash};
use convene_domain::ids::new_id;
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::audit_event::{ActiveModel, Column, Entity, Model};
use crate::entities::membership;
use crate::{Store, StoreError};

/// A PostgreSQL advisory-lock key that serialises appends to the chain
/// across every Convene instance sharing the database.
const APPEND_LOCK: i64 = 0x636f_6e76_656e_6501;

/// Appends one event in its own transaction.
pub async fn record(store: &Store, entry: AuditEntry) -> Result<AuditEvent, StoreError> {
    store
        .transaction(|txn| Box::pin(async move { record_in(txn, entry).await }))
        .await
}

/// Appends one event inside a transaction begun by
/// [`Store::transaction`], so it commits or rolls back with the change it
/// records.
pub async fn record_in<C: ConnectionTrait>(
    txn: &C,
    entry: AuditEntry,
) -> Result<AuditEvent, StoreError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // SQLite's write transactions are already exclusive (BEGIN IMMEDIATE).
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    let last = Entity::find().order_by_desc(Column::Seq).one(txn).await?;
    let (seq, prev_hash) = match last {
        Some(last) => (last.seq + 1, last.hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let id = new_id();
    let hash = chain_hash(&prev_hash, seq, id, &entry);
    let model = ActiveModel {
        seq: Set(seq),
        id: Set(id),
        at: Set(entry.at),
        action: Set(entry.action.clone()),
        actor_user_id: Set(entry.actor_user_id),
        actor_organisation_id: Set(entry.actor_organisation_id),
        actor_token_id: Set(entry.actor_token_id),
        object_type: Set(entry.object_type.clone()),
        object_id: Set(entry.object_id.clone()),
        subject_person_id: Set(entry.subject_person_id),
        purpose: Set(entry.purpose.clone()),
        client_address: Set(entry.client_address.clone()),
        prev_hash: Set(prev_hash.clone()),
        hash: Set(hash.clone()),
    };
    Entity::insert(model).exec_without_returning(txn).await?;
    Ok(AuditEvent {
        seq,
        id,
        entry,
        prev_hash,
        hash,
    })
}

/// What to look for. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditSearch {
    pub subject_person_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// When set, only events by people acting for, or belonging to, these
    /// organisations.
    pub organisations: Option<Vec<Uuid>>,
}

/// Matching events, newest first, and how many match in all.
pub async fn search<C: ConnectionTrait>(
    conn: &C,
    filter: &AuditSearch,
    limit: u64,
    offset: u64,
) -> Result<(Vec<AuditEvent>, u64), StoreError> {
    let mut condition = Condition::all();
    if let Some(person) = filter.subject_person_id {
        condition = condition.add(Column::SubjectPersonId.eq(person));
    }
    if let Some(user) = filter.actor_user_id {
        condition = condition.add(Column::ActorUserId.eq(user));
    }
    if let Some(action) = &filter.action {
        condition = condition.add(Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(Column::At.gte(from));
    }
    if let Some(until) = filter.until {
        condition = condition.add(Column::At.lt(until));
    }
    if let Some(organisations) = &filter.organisations {
        // Events filed under those organisations, and events filed under
        // none (sign-ins, own-account changes) by people who belong to them.
        // An event filed under another organisation stays with it.
        let members = Query::select()
            .column(membership::Column::UserId)
            .from(membership::Entity)
            .and_where(membership::Column::OrganisationId.is_in(organisations.iter().copied()))
            .to_owned();
        condition = condition.add(
            Condition::any()
                .add(Column::ActorOrganisationId.is_in(organisations.iter().copied()))
                .add(
                    Condition::all()
                        .add(Column::ActorOrganisationId.is_null())
                        .add(Column::ActorUserId.in_subquery(members)),
                ),
        );
    }
    let query = Entity::find().filter(condition);
    let total = query.clone().count(conn).await?;
    let events = query
        .order_by_desc(Column::Seq)
        .limit(limit)
        .offset(offset)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect();
    Ok((events, total))
}

/// Events with `seq` greater than `after`, oldest first, at most `limit`.
pub async fn in_order_after<C: ConnectionTrait>(
    conn: &C,
    after: i64,
    limit: u64,
) -> Result<Vec<AuditEvent>, StoreError> {
    Ok(Entity::find()
        .filter(Column::Seq.gt(after))
        .order_by_asc(Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// Who has looked at the record of `person_id`, newest first.
pub async fn views_of_person<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
) -> Result<Vec<AuditEvent>, StoreError> {
    let filter = AuditSearch {
        subject_person_id: Some(person_id),
        action: Some(
            convene_domain::audit::AuditAction::RecordViewed
                .code()
                .to_string(),
        ),
        ..Default::default()
    };
    Ok(search(conn, &filter, 500, 0).await?.0)
}

pub async fn count<C: ConnectionTrait>(conn: &C) -> Result<u64, StoreError> {
    Ok(Entity::find().count(conn).await?)
}

fn to_domain(model: Model) -> AuditEvent {
    AuditEvent {
        seq: model.seq,
        id: model.id,
        entry: AuditEntry {
            at: model.at,
            action: model.action,
            actor_user_id: model.actor_user_id,
            actor_organisation_id: model.actor_organisation_id,
            actor_token_id: model.actor_token_id,
            object_type: model.object_type,
            object_id: model.object_id,
            subject_person_id: model.subject_person_id,
            purpose: model.purpose,
            client_address: model.client_address,
        },
        prev_hash: model.prev_hash,
        hash: model.hash,
    }
}

/// The outcome of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { events: u64 },
    Broken(convene_domain::audit::ChainBreak),
}

/// Recomputes every event's hash, oldest first, a page at a time, and stops
/// at the first that does not match.
pub async fn verify<C: ConnectionTrait>(conn: &C) -> Result<Verification, StoreError> {
    let mut verifier = convene_domain::audit::ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = in_order_after(conn, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in &page {
            if let Err(broken) = verifier.check(event) {
                return Ok(Verification::Broken(broken));
            }
        }
    }
    Ok(Verification::Intact {
        events: verifier.checked(),
    })
}
