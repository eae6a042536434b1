//! People's rights over their data: everything held about a person, for a
//! subject access request; anonymising a person (on request where the law
//! allows, or by the retention job), which removes what identifies them
//! and every free-text note about them but keeps the audit trail and the
//! shape of their referrals (states, dates, outcomes) for statistics.

use chrono::{DateTime, Utc};
use convene_domain::sealing::DataKeys;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{households, records, shares};
use crate::entities::{
    appointment, person, person_transition, referral, referral_event, referral_person, share,
};
use crate::referrals::{appointments, records as referrals};
use crate::{StoreError, audit};

/// What a person's record reads as once anonymised.
pub const ANONYMISED: &str = "Anonymised";

/// Everything Convene holds about `person_id`, as JSON.
pub async fn subject_access<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    person_id: Uuid,
) -> Result<Value, StoreError> {
    let person = records::get(conn, keys, person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let d = &person.details;
    let mut households_json = Vec::new();
    for household in households::of_person(conn, person_id).await? {
        let members: Vec<Value> = households::members(conn, household)
            .await?
            .into_iter()
            .map(|(id, relationship)| json!({ "person_id": id, "relationship": relationship.code() }))
            .collect();
        households_json.push(json!({ "household_id": household, "members": members }));
    }
    let mut referrals_json = Vec::new();
    for summary in referrals::of_person(conn, person_id).await? {
        let Some(r) = referrals::get(conn, keys, summary.id).await? else {
            continue;
        };
        let events: Vec<Value> = referrals::events(conn, keys, r.id)
            .await?
            .into_iter()
            .map(|e| {
                json!({ "at": e.at, "what": e.transition, "state": e.to.code(),
                             "by_organisation_id": e.by_organisation, "detail": e.detail })
            })
            .collect();
        let appointments: Vec<Value> = appointments::of_referral(conn, r.id)
            .await?
            .into_iter()
            .map(|a| {
                json!({ "starts_at": a.starts_at, "duration_minutes": a.duration_minutes,
                             "mode": a.mode.code(), "place": a.place, "status": a.status.code() })
            })
            .collect();
        referrals_json.push(json!({
            "id": r.id, "service_id": r.service_id,
            "referring_organisation_id": r.referring_organisation_id,
            "receiving_organisation_id": r.receiving_organisation_id,
            "state": r.state.code(), "urgency": r.urgency.code(), "reason": r.reason,
            "decline_reason": r.decline_reason, "outcome": r.outcome.map(|o| o.code()),
            "created_at": r.created_at, "sent_at": r.sent_at, "closed_at": r.closed_at,
            "history": events, "appointments": appointments,
        }));
    }
    let sharing: Vec<Value> = shares::history(conn, keys, person_id)
        .await?
        .into_iter()
        .map(|s| json!({
            "kind": s.kind.code(), "referral_id": s.referral_id,
            "lawful_basis": s.basis.map(|b| b.code()),
            "health_condition": s.health_condition.map(|c| c.code()),
            "purpose_or_reasons": s.purpose, "recipient_organisation_id": s.recipient_organisation_id,
            "items": s.items.iter().map(|i| i.code()).collect::<Vec<_>>(),
            "justification": s.justification, "privacy_notice_version": s.privacy_notice_version,
            "decided_by_organisation_id": s.decided_by_organisation, "decided_at": s.decided_at,
        }))
        .collect();
    let views: Vec<Value> = audit::views_of_person(conn, person_id)
        .await?
        .into_iter()
        .map(|e| {
            json!({ "at": e.entry.at, "by_user_id": e.entry.actor_user_id,
                         "by_organisation_id": e.entry.actor_organisation_id })
        })
        .collect();
    Ok(json!({
        "person": {
            "id": person.id, "given_name": d.given_name, "family_name": d.family_name,
            "date_of_birth": d.date_of_birth, "phone": d.phone, "email": d.email,
            "contact_preference": d.contact_preference.map(|c| c.code()),
            "preferred_language": d.preferred_language, "school": d.school,
            "postcode": d.postcode.as_ref().map(|p| p.as_str().to_string()),
            "recorded_by_organisation_id": person.recorded_by, "recorded_at": person.created_at,
        },
        "households": households_json,
        "referrals": referrals_json,
        "sharing": sharing,
        "record_views": views,
    }))
}

/// Whether `person_id` is on a referral that is still open: sent, opened
/// or accepted. (A draft was never shared; closed, declined and redirected
/// ones are finished.)
pub async fn has_open_referrals<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(referrals::of_person(conn, person_id)
        .await?
        .iter()
        .any(|r| r.state.is_open()))
}

/// Anonymises a person: identifying details removed, names replaced, and
/// every free-text note about them (reasons, decline reasons, history
/// details, sharing purposes and justifications) removed. Refused while a
/// referral about them is still open. Call in a transaction.
pub async fn anonymise<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    person_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = person::Entity::find_by_id(person_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    if row.anonymised_at.is_some() {
        return Ok(());
    }
    if has_open_referrals(conn, person_id).await? {
        return Err(StoreError::Refused(
            "a referral about them is still open: close it first".into(),
        ));
    }
    let seal = |column: &str| {
        keys.seal(ANONYMISED, &records::context(column, person_id))
            .map_err(|e| StoreError::Sealing(e.to_string()))
    };
    let mut model: person::ActiveModel = row.into();
    model.given_name = Set(seal("given_name")?);
    model.family_name = Set(seal("family_name")?);
    model.date_of_birth = Set(None);
    model.phone = Set(None);
    model.email = Set(None);
    model.contact_preference = Set(None);
    model.preferred_language = Set(None);
    model.school = Set(None);
    model.postcode = Set(None);
    // Found by no name, suggested as nobody's duplicate.
    model.name_index = Set(format!("anonymised:{person_id}"));
    model.duplicate_index = Set(None);
    model.anonymised_at = Set(Some(now));
    model.updated_at = Set(now);
    sea_orm::ActiveModelTrait::update(model, conn).await?;

    let referral_ids: Vec<Uuid> = referral_person::Entity::find()
        .filter(referral_person::Column::PersonId.eq(person_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.referral_id)
        .collect();
    // Reasons are about the child: removed only when the child is the one
    // anonymised; a parent's anonymisation leaves the child's referral.
    let subject_of: Vec<Uuid> = referral::Entity::find()
        .filter(referral::Column::Id.is_in(referral_ids.iter().copied()))
        .filter(referral::Column::SubjectId.eq(person_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for id in &subject_of {
        let removed = keys
            .seal("[removed]", &format!("referrals.reason.{id}"))
            .map_err(|e| StoreError::Sealing(e.to_string()))?;
        referral::Entity::update_many()
            .col_expr(referral::Column::Reason, Expr::value(removed))
            .col_expr(referral::Column::DeclineReason, Expr::value(None::<String>))
            .filter(referral::Column::Id.eq(*id))
            .exec(conn)
            .await?;
    }
    referral_event::Entity::update_many()
        .col_expr(referral_event::Column::Detail, Expr::value(None::<String>))
        .filter(referral_event::Column::ReferralId.is_in(subject_of.iter().copied()))
        .exec(conn)
        .await?;
    share::Entity::update_many()
        .col_expr(share::Column::Purpose, Expr::value(None::<String>))
        .col_expr(share::Column::Justification, Expr::value(None::<String>))
        .filter(share::Column::PersonId.eq(person_id))
        .exec(conn)
        .await?;
    // Where their appointments were, and their moves between schools.
    appointment::Entity::update_many()
        .col_expr(appointment::Column::Place, Expr::value(None::<String>))
        .filter(appointment::Column::ReferralId.is_in(subject_of.iter().copied()))
        .exec(conn)
        .await?;
    person_transition::Entity::delete_many()
        .filter(person_transition::Column::PersonId.eq(person_id))
        .exec(conn)
        .await?;
    // Earlier records of the same person, merged into this one, go too.
    let merged: Vec<Uuid> = person::Entity::find()
        .filter(person::Column::MergedInto.eq(person_id))
        .filter(person::Column::AnonymisedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    for earlier in merged {
        Box::pin(anonymise(conn, keys, earlier, now)).await?;
    }
    Ok(())
}

/// People due for anonymisation on `now`: not yet anonymised, recorded
/// before `cutoff`, with no open referral, and no referral about them that
/// changed after `cutoff`.
pub async fn due_for_retention<C: ConnectionTrait>(
    conn: &C,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    // Only the id: with the index on (anonymised_at, created_at, id) the
    // candidates come from the index alone, not the whole table.
    let candidates: Vec<Uuid> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::AnonymisedAt.is_null())
        .filter(person::Column::CreatedAt.lt(cutoff))
        .into_tuple()
        .all(conn)
        .await?;
    let mut due = Vec::new();
    for id in candidates {
        let referrals = referrals::of_person(conn, id).await?;
        let finished = referrals
            .iter()
            .all(|r| !r.state.is_open() && r.updated_at < cutoff);
        if finished {
            due.push(id);
        }
    }
    Ok(due)
}
