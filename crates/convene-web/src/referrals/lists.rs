//! The referrals page: for each organisation the practitioner works for,
//! what it has received (the inbox), what it has sent, and what it has to
//! do.

use std::borrow::Borrow;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::directory::schedules::london_time;
use convene_domain::messaging::reminders::{ServiceReminders, parse_days};
use convene_store::directory::services;
use convene_store::messaging::settings as reminder_settings;
use convene_store::people::records as people;
use convene_store::referrals::follow_ups::{self, FollowUp};
use convene_store::referrals::{ListWindow, Listed, ReferralSummary};
use convene_store::referrals::{intake, records};
use convene_store::{audit, organisations};
use serde::Deserialize;
use uuid::Uuid;

use super::Practitioner;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::page::Page;
use crate::state::AppState;

pub struct Line {
    pub summary: ReferralSummary,
    pub person: String,
    pub service: String,
    pub when: String,
}

pub struct Intake {
    pub id: Uuid,
    pub name: String,
    pub paused: bool,
    pub capacity: String,
    pub reminders: ServiceReminders,
}

impl Intake {
    pub fn reminder_days(&self) -> String {
        self.reminders
            .days_before
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn reminder_phone(&self) -> &str {
        self.reminders.phone.as_deref().unwrap_or("")
    }
}

/// A page of received or sent referrals, and how many there are.
pub struct ListedLines {
    pub lines: Vec<Line>,
    pub total: u64,
    pub page: u64,
}

impl ListedLines {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(PER_PAGE).max(1)
    }

    /// "Showing 26 to 50 of 375", or nothing when one page holds them.
    pub fn showing(&self) -> String {
        if self.total <= PER_PAGE || self.lines.is_empty() {
            return String::new();
        }
        let first = (self.page - 1) * PER_PAGE + 1;
        let last = first + self.lines.len() as u64 - 1;
        format!("Showing {first} to {last} of {}", self.total)
    }
}

pub struct OrganisationLists {
    pub name: String,
    /// Children moving to this organisation: (person, name, move).
    pub joining: Vec<(Uuid, String, &'static str)>,
    pub services: Vec<Intake>,
    pub inbox: ListedLines,
    pub outgoing: ListedLines,
    pub to_do: Vec<FollowUp>,
}

/// Referrals a page of each list shows.
const PER_PAGE: u64 = 25;

/// Which page of each list: `?received=2&sent=1`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    received: Option<u64>,
    sent: Option<u64>,
}

impl ListQuery {
    fn window(page: Option<u64>) -> Result<ListWindow, AppError> {
        match page.unwrap_or(1) {
            0 => Err(AppError::BadRequest("pages start at 1".into())),
            page => Ok(ListWindow {
                page: page.min(1_000_000),
                per_page: PER_PAGE,
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "referrals/list.html")]
struct ListPage {
    page: Page,
    lists: Vec<OrganisationLists>,
}

impl ListPage {
    /// The link to another page of one list, keeping the other's page.
    /// Takes numbers or references to them, as templates pass both.
    fn link(&self, received: impl Borrow<u64>, sent: impl Borrow<u64>) -> String {
        let (received, sent) = (received.borrow(), sent.borrow());
        format!("/referrals?received={received}&sent={sent}")
    }

    fn local(&self, at: &DateTime<Utc>) -> String {
        london_time(*at).format("%-d %B %Y").to_string()
    }
}

/// A page of a list with the children's and services' names: two queries
/// for the page, not two for each line.
async fn lines(state: &AppState, listed: Listed, page: u64) -> Result<ListedLines, AppError> {
    let conn = state.store.conn();
    let list = listed.referrals;
    let subjects: Vec<Uuid> = list.iter().map(|r| r.subject_id).collect();
    let service_ids: Vec<Uuid> = list.iter().map(|r| r.service_id).collect();
    let people = people::get_many(conn, &state.keys, &subjects).await?;
    let names = services::names(conn, &service_ids).await?;
    let mut out = Vec::with_capacity(list.len());
    for summary in list {
        let person = people
            .get(&summary.subject_id)
            .map(|p| p.details.full_name())
            .unwrap_or_default();
        let service = names.get(&summary.service_id).cloned().unwrap_or_default();
        let when = london_time(summary.sent_at.unwrap_or(summary.updated_at))
            .format("%-d %B %Y")
            .to_string();
        out.push(Line {
            summary,
            person,
            service,
            when,
        });
    }
    Ok(ListedLines {
        lines: out,
        total: listed.total,
        page,
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let received = ListQuery::window(query.received)?;
    let sent = ListQuery::window(query.sent)?;
    let mut lists = Vec::new();
    for organisation in &who.organisations {
        let name = organisations::get(conn, *organisation)
            .await?
            .map(|o| o.details.name)
            .unwrap_or_default();
        // Two queries for all the organisation's services, not two each.
        let active = intake::intakes_of_organisation(conn, *organisation).await?;
        let ids: Vec<Uuid> = active.iter().map(|s| s.id).collect();
        let mut reminders = reminder_settings::of_services(conn, &ids).await?;
        let intakes = active
            .into_iter()
            .map(|service| Intake {
                id: service.id,
                reminders: reminders.remove(&service.id).unwrap_or_default(),
                name: service.name,
                paused: service.paused,
                capacity: service.capacity.map(|c| c.to_string()).unwrap_or_default(),
            })
            .collect();
        let mut joining = Vec::new();
        for t in convene_store::people::transitions::joining(conn, *organisation).await? {
            if let Some(person) = people::get(conn, &state.keys, t.person_id).await? {
                joining.push((t.person_id, person.details.full_name(), t.kind.label()));
            }
        }
        lists.push(OrganisationLists {
            name,
            joining,
            services: intakes,
            inbox: lines(
                &state,
                records::inbox(conn, *organisation, received).await?,
                received.page,
            )
            .await?,
            outgoing: lines(
                &state,
                records::outgoing(conn, *organisation, sent).await?,
                sent.page,
            )
            .await?,
            to_do: follow_ups::open_for(conn, *organisation)
                .await?
                .into_iter()
                .filter(|f| super::may_see_follow_up(&who, *organisation, f.kind))
                .collect(),
        });
    }
    // The lists name children: a view of personal data.
    let entry = who
        .visitor
        .audit(AuditAction::RecordViewed, &state, &address)
        .on("referral_lists", "inbox_and_outgoing");
    audit::record(&state.store, entry).await?;
    Ok(Html(ListPage { page, lists }.render()?).into_response())
}

pub async fn done(
    State(state): State<AppState>,
    who: Practitioner,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let now = state.clock.now();
    for organisation in &who.organisations {
        let open = follow_ups::open_for(conn, *organisation).await?;
        if let Some(found) = open
            .iter()
            .find(|f| f.id == id && super::may_see_follow_up(&who, *organisation, f.kind))
        {
            let (organisation, by) = (*organisation, who.visitor.account.id);
            state
                .store
                .transaction(move |txn| {
                    Box::pin(
                        async move { follow_ups::complete(txn, id, organisation, by, now).await },
                    )
                })
                .await?;
            return Ok(Redirect::to(&format!("/referrals/{}", found.referral_id)).into_response());
        }
    }
    Err(AppError::NotFound)
}

/// Pauses or resumes a service's new referrals, and sets its capacity, for
/// a practitioner of the organisation that runs it.
/// A service's appointment reminders: when they go, whether the service
/// is sensitive (reminders then say only the date, time and phone number),
/// whether they may name it, and the number families call.
pub async fn set_reminders(
    State(state): State<AppState>,
    address: crate::client::ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let service = services::row(state.store.conn(), id)
        .await?
        .filter(|s| who.organisations.contains(&s.organisation_id))
        .ok_or(AppError::NotFound)?;
    let values = super::pairs(&body);
    let days = parse_days(&super::field(&values, "days"))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let phone = super::field(&values, "phone");
    // It goes into texts to families: a phone number and nothing else.
    if phone.chars().count() > 20
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')'))
    {
        return Err(AppError::BadRequest(
            "enter the phone number in digits, like 01632 960 000".into(),
        ));
    }
    let settings = ServiceReminders {
        days_before: days,
        sensitive: super::field(&values, "sensitive") == "yes",
        name_allowed: super::field(&values, "name_allowed") == "yes",
        phone: Some(phone).filter(|p| !p.is_empty()),
    };
    let entry = who
        .visitor
        .audit(AuditAction::MessagingChanged, &state, &address)
        .by_organisation(Some(service.organisation_id))
        .on("service", service.id)
        .because(format!(
            "appointment reminders: days {:?}, sensitive {}, name allowed {}, phone {}",
            settings.days_before,
            settings.sensitive,
            settings.name_allowed && !settings.sensitive,
            settings.phone.as_deref().unwrap_or("none"),
        ));
    let (by, now) = (who.visitor.account.id, state.clock.now());
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                reminder_settings::set(txn, id, &settings, by, now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await?;
    Ok(Redirect::to("/referrals").into_response())
}

pub async fn set_intake(
    State(state): State<AppState>,
    address: crate::client::ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let service = services::row(state.store.conn(), id)
        .await?
        .filter(|s| who.organisations.contains(&s.organisation_id))
        .ok_or(AppError::NotFound)?;
    let values = super::pairs(&body);
    let paused = super::field(&values, "paused") == "yes";
    let capacity = match super::field(&values, "capacity").as_str() {
        "" => None,
        text => Some(
            text.parse::<u32>()
                .ok()
                .filter(|c| (1..=100_000).contains(c))
                .ok_or_else(|| {
                    AppError::BadRequest("capacity must be a whole number from 1 to 100000".into())
                })?,
        ),
    };
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(service.organisation_id))
        .on("service", service.id)
        .because(match (paused, capacity) {
            (true, _) => "new referrals paused".to_string(),
            (false, Some(c)) => format!("taking new referrals, capacity {c}"),
            (false, None) => "taking new referrals".to_string(),
        });
    let id = service.id;
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                intake::set_intake(txn, id, paused, capacity).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await?;
    Ok(Redirect::to("/referrals").into_response())
}
