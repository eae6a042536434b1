//! Referrals on the web: a practitioner refers a child (and their family)
//! to a service with the sharing decision on record; the receiving service
//! works it from its inbox - accepting, declining or redirecting, booking
//! appointments and recording attendance - and closes it with an outcome.
//! Each side sees what happens. Only practitioners and safeguarding leads
//! of the two organisations see a referral; anyone else gets 404.

pub mod api;
mod appointments;
pub mod form;
mod idempotent;
mod lists;
mod measures;
mod person;
mod rights;
mod show;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use convene_domain::audit::AuditAction;
use convene_domain::identity::policy::referral_organisations;
use convene_domain::identity::{Action, may};
use convene_domain::referrals::Side;
use convene_store::audit;
use convene_store::referrals::Referral;
use convene_store::referrals::records;
use uuid::Uuid;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::identity::extract::SignedIn;
use crate::identity::visitor::Visitor;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(lists::list))
        .route("/referrals/measures", get(measures::show))
        .route("/referrals/services/{id}/intake", post(lists::set_intake))
        .route(
            "/referrals/services/{id}/reminders",
            post(lists::set_reminders),
        )
        .route("/referrals/new", get(form::new_form).post(form::create))
        .route("/referrals/{id}", get(show::show))
        .route("/referrals/{id}/move", post(show::move_on))
        .route("/referrals/{id}/appointments", post(appointments::book))
        .route(
            "/referrals/{id}/appointments/{appointment_id}",
            post(appointments::change),
        )
        .route("/follow-ups/{id}/done", post(lists::done))
        .route("/people/{id}", get(person::show))
        .route("/people/{id}/consent", post(person::record_consent))
        .route("/people/{id}/messages", post(person::set_messages))
        .route("/people/{id}/export", get(rights::export_page))
        .route("/people/{id}/export.json", get(rights::export_json))
        .route("/people/{id}/anonymise", post(rights::anonymise))
        .route("/people/{id}/merge", post(rights::merge))
        .route("/people/{id}/transitions", post(person::flag_transition))
        .route("/api/v1/referrals", get(api::list).post(api::create))
        .route("/api/v1/referrals/{id}", get(api::get))
        .route("/api/v1/referrals/{id}/transitions", post(api::transition))
        .route("/api/v1/referrals/{id}/appointments", post(api::book))
        .route(
            "/api/v1/referrals/{id}/appointments/{appointment_id}",
            post(api::change),
        )
}

/// A signed-in practitioner or safeguarding lead, with the organisations
/// they work with referrals for.
#[derive(Debug, Clone)]
pub struct Practitioner {
    pub visitor: Visitor,
    pub organisations: Vec<Uuid>,
}

impl FromRequestParts<AppState> for Practitioner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(visitor) = SignedIn::from_request_parts(parts, state).await?;
        // A token must also carry the `referrals` scope.
        let organisations: Vec<Uuid> = referral_organisations(&visitor.principal)
            .into_iter()
            .filter(|id| {
                may(
                    &visitor.principal,
                    Action::WorkWithReferrals {
                        organisation_id: *id,
                    },
                )
            })
            .collect();
        if !organisations.is_empty() {
            return Ok(Self {
                visitor,
                organisations,
            });
        }
        let address = parts
            .extensions
            .get::<ClientAddress>()
            .cloned()
            .unwrap_or(ClientAddress(None));
        let mut entry = visitor.audit(AuditAction::PermissionDenied, state, &address);
        entry.object_type = Some("route".to_string());
        entry.object_id = Some(parts.uri.path().chars().take(200).collect());
        audit::record(&state.store, entry)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        // A record's address reveals nothing to those with no right to it.
        Err(if matches!(
            parts.uri.path(),
            "/referrals" | "/referrals/new" | "/referrals/measures" | "/api/v1/referrals"
        ) {
            AppError::Forbidden
        } else {
            AppError::NotFound
        }
        .into_response())
    }
}

/// A referral the practitioner may see, with the organisation they act for
/// on it and its side. Anything else is 404.
pub struct Visible {
    pub referral: Referral,
    pub organisation: Uuid,
    pub side: Side,
}

pub async fn visible(state: &AppState, who: &Practitioner, id: Uuid) -> Result<Visible, AppError> {
    let referral = records::get(state.store.conn(), &state.keys, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (organisation, side) = who
        .organisations
        .iter()
        .find_map(|org| referral.side_of(*org).map(|side| (*org, side)))
        .ok_or(AppError::NotFound)?;
    Ok(Visible {
        referral,
        organisation,
        side,
    })
}

/// Reads an urlencoded form body into pairs (repeated names kept).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of `name`, trimmed.
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// Every value of `name`.
pub fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

/// Whether `who` may see a follow-up of `kind` for `organisation`: reviews
/// of shares made without consent are for the organisation's safeguarding
/// leads only.
pub fn may_see_follow_up(
    who: &Practitioner,
    organisation: Uuid,
    kind: convene_store::referrals::follow_ups::FollowUpKind,
) -> bool {
    use convene_store::referrals::follow_ups::FollowUpKind;
    kind != FollowUpKind::SafeguardingReview
        || who
            .visitor
            .principal
            .roles_in(organisation)
            .any(|r| r == convene_domain::identity::Role::SafeguardingLead)
}

/// A GOV.UK date input (`{prefix}-day`, `-month`, `-year`) as `YYYY-MM-DD`
/// for the domain to check; empty when all three are.
pub fn date_from_parts(pairs: &[(String, String)], prefix: &str) -> String {
    let part = |p: &str| field(pairs, &format!("{prefix}-{p}"));
    let (day, month, year) = (part("day"), part("month"), part("year"));
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return String::new();
    }
    format!("{year:0>4}-{month:0>2}-{day:0>2}")
}
