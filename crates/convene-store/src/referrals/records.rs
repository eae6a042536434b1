//! A referral's record and its moves. Every move is checked by the domain's
//! rules, applied only if nobody else changed the referral meanwhile (its
//! version), and written with an event in the same transaction.

use chrono::{DateTime, Utc};
use convene_domain::ids::new_id;
use convene_domain::messaging::templates::MessageKind;
use convene_domain::people::sharing::ConsentEvent;
use convene_domain::referrals::{
    Outcome, ReferralRole, ReferralState, Side, Transition, Urgency, next_state, side_for,
};
use convene_domain::sealing::DataKeys;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::entities::{referral, referral_event, referral_need, referral_person, service};
use crate::people::shares;
use crate::{StoreError, directory::services};

pub use super::lists::{ListWindow, Listed, inbox, outgoing};

fn sealing(error: impl std::fmt::Display) -> StoreError {
    StoreError::Sealing(error.to_string())
}

pub(crate) fn seal(
    keys: &DataKeys,
    value: &str,
    column: &str,
    id: Uuid,
) -> Result<String, StoreError> {
    keys.seal(value, &format!("referrals.{column}.{id}"))
        .map_err(sealing)
}

fn open(keys: &DataKeys, value: &str, column: &str, id: Uuid) -> Result<String, StoreError> {
    keys.open(value, &format!("referrals.{column}.{id}"))
        .map_err(sealing)
}

/// What a referrer (or a family, for a self-referral) asks for.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub id: Uuid,
    pub service_id: Uuid,
    /// `None` for a self-referral.
    pub referring_organisation_id: Option<Uuid>,
    pub referred_by: Option<Uuid>,
    pub subject_id: Uuid,
    pub parents_or_carers: Vec<Uuid>,
    pub urgency: Urgency,
    /// In the family's words.
    pub reason: String,
    pub needs: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: Uuid,
    pub service_id: Uuid,
    pub receiving_organisation_id: Uuid,
    pub referring_organisation_id: Option<Uuid>,
    pub referred_by: Option<Uuid>,
    pub subject_id: Uuid,
    pub people: Vec<(Uuid, ReferralRole)>,
    pub state: ReferralState,
    pub urgency: Urgency,
    pub reason: String,
    pub decline_reason: Option<String>,
    pub redirected_to: Option<Uuid>,
    pub redirected_from: Option<Uuid>,
    pub outcome: Option<Outcome>,
    pub needs: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl Referral {
    /// Which side `organisation` acts on, if either (both, for a referral
    /// to one of its own services: see `side_for`).
    pub fn side_of(&self, organisation: Uuid) -> Option<Side> {
        side_for(
            self.referring_organisation_id == Some(organisation),
            self.receiving_organisation_id == organisation,
            self.state,
        )
    }
}

/// A line in an inbox or outgoing list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralSummary {
    pub id: Uuid,
    pub service_id: Uuid,
    pub receiving_organisation_id: Uuid,
    pub referring_organisation_id: Option<Uuid>,
    pub subject_id: Uuid,
    pub state: ReferralState,
    pub urgency: Urgency,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// One move in a referral's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralEvent {
    pub at: DateTime<Utc>,
    pub transition: String,
    pub from: Option<ReferralState>,
    pub to: ReferralState,
    pub by_user: Option<Uuid>,
    pub by_organisation: Option<Uuid>,
    pub detail: Option<String>,
}

fn state(code: &str) -> Result<ReferralState, StoreError> {
    ReferralState::parse(code).ok_or_else(|| StoreError::Corrupt(format!("referral state {code}")))
}

pub(super) fn summary(row: &referral::Model) -> Result<ReferralSummary, StoreError> {
    Ok(ReferralSummary {
        id: row.id,
        service_id: row.service_id,
        receiving_organisation_id: row.receiving_organisation_id,
        referring_organisation_id: row.referring_organisation_id,
        subject_id: row.subject_id,
        state: state(&row.state)?,
        urgency: Urgency::parse(&row.urgency)
            .ok_or_else(|| StoreError::Corrupt(format!("urgency {}", row.urgency)))?,
        sent_at: row.sent_at,
        updated_at: row.updated_at,
    })
}

#[allow(clippy::too_many_arguments)]
async fn event<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    referral_id: Uuid,
    transition: &str,
    from: Option<ReferralState>,
    to: ReferralState,
    by: (Option<Uuid>, Option<Uuid>),
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = new_id();
    referral_event::Entity::insert(referral_event::ActiveModel {
        id: Set(id),
        referral_id: Set(referral_id),
        at: Set(at),
        transition: Set(transition.to_string()),
        from_state: Set(from.map(|s| s.code().to_string())),
        to_state: Set(to.code().to_string()),
        by_user: Set(by.0),
        by_organisation: Set(by.1),
        detail: Set(detail.map(|d| seal(keys, d, "event", id)).transpose()?),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Records a referral in `state` (a draft, or sent at once for a
/// self-referral or a redirection). Call in a transaction.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    new: &NewReferral,
    initial: ReferralState,
    redirected_from: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let service = service::Entity::find_by_id(new.service_id)
        .one(conn)
        .await?
        .ok_or_else(|| StoreError::Refused("that service is not in the directory".into()))?;
    if service.status != "active" {
        return Err(StoreError::Refused(
            "that service is not taking referrals (it is not active)".into(),
        ));
    }
    if initial == ReferralState::Sent {
        super::intake::check_open_for_referrals(conn, new.service_id).await?;
    }
    referral::Entity::insert(referral::ActiveModel {
        id: Set(new.id),
        service_id: Set(new.service_id),
        receiving_organisation_id: Set(service.organisation_id),
        referring_organisation_id: Set(new.referring_organisation_id),
        referred_by: Set(new.referred_by),
        subject_id: Set(new.subject_id),
        state: Set(initial.code().to_string()),
        urgency: Set(new.urgency.code().to_string()),
        reason: Set(seal(keys, &new.reason, "reason", new.id)?),
        decline_reason: Set(None),
        redirected_to: Set(None),
        redirected_from: Set(redirected_from),
        outcome: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set((initial == ReferralState::Sent).then_some(now)),
        closed_at: Set(None),
        version: Set(1),
    })
    .exec_without_returning(conn)
    .await?;
    let mut people = vec![(new.subject_id, ReferralRole::Subject)];
    people.extend(
        new.parents_or_carers
            .iter()
            .filter(|p| **p != new.subject_id)
            .map(|p| (*p, ReferralRole::ParentOrCarer)),
    );
    people.dedup();
    for (person, role) in people {
        referral_person::Entity::insert(referral_person::ActiveModel {
            referral_id: Set(new.id),
            person_id: Set(person),
            role: Set(role.code().to_string()),
        })
        .exec_without_returning(conn)
        .await?;
    }
    let mut needs = new.needs.clone();
    needs.sort();
    needs.dedup();
    for term in needs {
        referral_need::Entity::insert(referral_need::ActiveModel {
            referral_id: Set(new.id),
            term_id: Set(term),
        })
        .exec_without_returning(conn)
        .await?;
    }
    event(
        conn,
        keys,
        new.id,
        "create",
        None,
        initial,
        (new.referred_by, new.referring_organisation_id),
        None,
        now,
    )
    .await?;
    if initial == ReferralState::Sent {
        tell_receiver(conn, new.id, now).await?;
    }
    Ok(())
}

/// Queues an email to the receiving organisation that a referral arrived:
/// a pointer only, never anything about the family.
async fn tell_receiver<C: ConnectionTrait>(
    conn: &C,
    referral_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::messaging::notices::tell(conn, MessageKind::ReferralReceived, referral_id, now).await
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    id: Uuid,
) -> Result<Option<Referral>, StoreError> {
    let Some(row) = referral::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let people = referral_person::Entity::find()
        .filter(referral_person::Column::ReferralId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| {
            ReferralRole::parse(&p.role)
                .map(|r| (p.person_id, r))
                .ok_or_else(|| StoreError::Corrupt(format!("referral role {}", p.role)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let needs = referral_need::Entity::find()
        .filter(referral_need::Column::ReferralId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.term_id)
        .collect();
    let outcome = row
        .outcome
        .as_deref()
        .map(|code| {
            Outcome::parse(code).ok_or_else(|| StoreError::Corrupt(format!("outcome {code}")))
        })
        .transpose()?;
    let summary = summary(&row)?;
    Ok(Some(Referral {
        id,
        service_id: row.service_id,
        receiving_organisation_id: row.receiving_organisation_id,
        referring_organisation_id: row.referring_organisation_id,
        referred_by: row.referred_by,
        subject_id: row.subject_id,
        people,
        state: summary.state,
        urgency: summary.urgency,
        reason: open(keys, &row.reason, "reason", id)?,
        decline_reason: row
            .decline_reason
            .as_deref()
            .map(|d| open(keys, d, "decline_reason", id))
            .transpose()?,
        redirected_to: row.redirected_to,
        redirected_from: row.redirected_from,
        outcome,
        needs,
        created_at: row.created_at,
        updated_at: row.updated_at,
        sent_at: row.sent_at,
        closed_at: row.closed_at,
        version: row.version,
    }))
}

/// Who is acting, for the record.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user: Option<Uuid>,
    pub organisation: Uuid,
}

/// Applies `transition` to referral `id` as it was at `version`, for
/// `actor`. Refused (nothing changed) when the rules do not allow it, when
/// someone changed the referral since `version`, or - for sending - when no
/// sharing decision allows the receiving organisation to have it. A
/// redirection also creates the new referral, sent to the new service.
/// Call in a transaction. Returns the new state.
pub async fn apply<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    id: Uuid,
    version: i64,
    transition: &Transition,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<ReferralState, StoreError> {
    let referral = get(conn, keys, id).await?.ok_or(StoreError::NotFound)?;
    if referral.version != version {
        return Err(StoreError::Refused(
            "someone else changed this referral meanwhile; look at it again before you go on"
                .into(),
        ));
    }
    let side = referral
        .side_of(actor.organisation)
        .ok_or(StoreError::NotFound)?;
    let to = next_state(referral.state, transition, side, referral.service_id)
        .map_err(|e| StoreError::Refused(super::sentence(&e.to_string())))?;
    if *transition == Transition::Send {
        may_send(conn, &referral).await?;
    }
    let mut update = referral::Entity::update_many()
        .col_expr(referral::Column::State, Expr::value(to.code()))
        .col_expr(referral::Column::UpdatedAt, Expr::value(now))
        .col_expr(referral::Column::Version, Expr::value(version + 1));
    let mut detail: Option<String> = None;
    match transition {
        Transition::Send => {
            update = update.col_expr(referral::Column::SentAt, Expr::value(now));
        }
        Transition::Decline { reason } => {
            update = update.col_expr(
                referral::Column::DeclineReason,
                Expr::value(seal(keys, reason.trim(), "decline_reason", id)?),
            );
            detail = Some(reason.trim().to_string());
        }
        Transition::Redirect { to_service, reason } => {
            let onward = NewReferral {
                id: new_id(),
                service_id: *to_service,
                referring_organisation_id: referral.referring_organisation_id,
                referred_by: referral.referred_by,
                subject_id: referral.subject_id,
                parents_or_carers: referral
                    .people
                    .iter()
                    .filter(|(_, r)| *r == ReferralRole::ParentOrCarer)
                    .map(|(p, _)| *p)
                    .collect(),
                urgency: referral.urgency,
                reason: referral.reason.clone(),
                needs: referral.needs.clone(),
            };
            // Passed on within the receiving organisation only: sharing with
            // another organisation needs its own lawful basis, recorded with
            // a new referral.
            match services::row(conn, *to_service).await? {
                None => {
                    return Err(StoreError::Refused(
                        "that service is not in the directory".into(),
                    ));
                }
                Some(s) if s.organisation_id != referral.receiving_organisation_id => {
                    return Err(StoreError::Refused(
                        "a referral can be passed on only to another of your own services; for another organisation, the referrer makes a new referral"
                            .into(),
                    ));
                }
                Some(_) => {}
            }
            create(conn, keys, &onward, ReferralState::Sent, Some(id), now).await?;
            update = update.col_expr(referral::Column::RedirectedTo, Expr::value(onward.id));
            detail = Some(reason.trim().to_string());
        }
        Transition::Close { outcome } => {
            update = update
                .col_expr(referral::Column::Outcome, Expr::value(outcome.code()))
                .col_expr(referral::Column::ClosedAt, Expr::value(now));
        }
        Transition::Open | Transition::Accept => {}
    }
    let moved = update
        .filter(referral::Column::Id.eq(id))
        .filter(referral::Column::Version.eq(version))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(StoreError::Refused(
            "someone else changed this referral meanwhile; look at it again before you go on"
                .into(),
        ));
    }
    event(
        conn,
        keys,
        id,
        transition.name(),
        Some(referral.state),
        to,
        (actor.user, Some(actor.organisation)),
        detail.as_deref(),
        now,
    )
    .await?;
    let notice = match transition {
        Transition::Send => Some(MessageKind::ReferralReceived),
        Transition::Accept => Some(MessageKind::ReferralAccepted),
        Transition::Decline { .. } => Some(MessageKind::ReferralDeclined),
        _ => None,
    };
    if let Some(kind) = notice {
        crate::messaging::notices::tell(conn, kind, id, now).await?;
    }
    Ok(to)
}

/// Sending needs a recorded decision to share with the receiving
/// organisation, and - when that decision rests on consent - consent that
/// has not been withdrawn since.
async fn may_send<C: ConnectionTrait>(conn: &C, referral: &Referral) -> Result<(), StoreError> {
    super::intake::check_open_for_referrals(conn, referral.service_id).await?;
    let basis = shares::basis_for(conn, referral.id, referral.receiving_organisation_id).await?;
    let Some(basis) = basis else {
        return Err(StoreError::Refused(
            "record the family's consent, or the lawful basis for sharing, before sending".into(),
        ));
    };
    if basis == convene_domain::people::sharing::LawfulBasis::Consent {
        let history = shares::consent_history(conn, referral.subject_id).await?;
        if history.last() == Some(&ConsentEvent::Withdrawn) {
            return Err(StoreError::Refused(
                "the family has withdrawn consent: this referral cannot be sent on that basis"
                    .into(),
            ));
        }
    }
    Ok(())
}

pub async fn events<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    id: Uuid,
) -> Result<Vec<ReferralEvent>, StoreError> {
    referral_event::Entity::find()
        .filter(referral_event::Column::ReferralId.eq(id))
        .order_by_asc(referral_event::Column::At)
        .order_by_asc(referral_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            Ok(ReferralEvent {
                at: row.at,
                transition: row.transition,
                from: row.from_state.as_deref().map(state).transpose()?,
                to: state(&row.to_state)?,
                by_user: row.by_user,
                by_organisation: row.by_organisation,
                detail: row
                    .detail
                    .as_deref()
                    .map(|d| open(keys, d, "event", row.id))
                    .transpose()?,
            })
        })
        .collect()
}

/// Every referral a person is on (as its subject or a parent or carer).
pub async fn of_person<C: ConnectionTrait>(
    conn: &C,
    person: Uuid,
) -> Result<Vec<ReferralSummary>, StoreError> {
    let ids: Vec<Uuid> = referral_person::Entity::find()
        .filter(referral_person::Column::PersonId.eq(person))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.referral_id)
        .collect();
    referral::Entity::find()
        .filter(referral::Column::Id.is_in(ids))
        .order_by_asc(referral::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .map(summary)
        .collect()
}
