//! Booking appointments on an accepted referral and recording what
//! happened, from the referral's page (receiving service only).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Europe::London;
use convene_domain::audit::AuditAction;
use convene_domain::ids::new_id;
use convene_domain::referrals::{AppointmentChange, AppointmentMode, Side};
use convene_store::referrals::appointments::{self, Booking};
use convene_store::{StoreError, audit};
use uuid::Uuid;

use super::show::render;
use super::{Practitioner, field, pairs, visible};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

/// A UK date and time typed in parts, as UTC.
fn when(values: &[(String, String)]) -> Option<chrono::DateTime<chrono::Utc>> {
    let number = |name: &str| field(values, name).parse::<u32>().ok();
    let day = NaiveDate::from_ymd_opt(
        i32::try_from(number("when-year")?).ok()?,
        number("when-month")?,
        number("when-day")?,
    )?;
    let time =
        NaiveTime::parse_from_str(&field(values, "when-time").replace('.', ":"), "%H:%M").ok()?;
    // In the hour the clocks go back a time happens twice: take the first;
    // in the hour they go forward it does not exist: refused.
    London
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

pub async fn book(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    let seen = visible(&state, &who, id).await?;
    if seen.side != Side::Receiver {
        return Err(AppError::NotFound);
    }
    let values = pairs(&body);
    let Some(starts_at) = when(&values) else {
        let errors = FormErrors::one("when-day", "Enter a real date and a time, like 14:30");
        return render(&state, page, &who, seen, errors).await;
    };
    let duration: u32 = field(&values, "duration").parse().unwrap_or(0);
    let mode = AppointmentMode::parse(&field(&values, "mode")).unwrap_or(AppointmentMode::InPerson);
    let place = Some(field(&values, "place")).filter(|p| !p.is_empty() && p.chars().count() <= 200);
    let booking = Booking {
        id: new_id(),
        referral_id: id,
        starts_at,
        duration_minutes: duration,
        mode,
        place,
        booked_by: who.visitor.account.id,
    };
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("referral", id)
        .about(seen.referral.subject_id)
        .because("appointment booked");
    let now = state.clock.now();
    let booked = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                appointments::book(txn, &booking, now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await;
    match booked {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
        Err(StoreError::Refused(reason)) => {
            render(
                &state,
                page,
                &who,
                seen,
                FormErrors::one("when-day", reason),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn change(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Practitioner,
    Path((id, appointment_id)): Path<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let seen = visible(&state, &who, id).await?;
    let appointment = appointments::get(state.store.conn(), appointment_id)
        .await?
        .filter(|a| a.referral_id == id)
        .ok_or(AppError::NotFound)?;
    if seen.side != Side::Receiver {
        return Err(AppError::NotFound);
    }
    let values = pairs(&body);
    let version: i64 = field(&values, "version").parse().unwrap_or(-1);
    let change = match field(&values, "change").as_str() {
        "attended" => AppointmentChange::Attended,
        "did_not_attend" => AppointmentChange::DidNotAttend,
        "was_not_brought" => AppointmentChange::WasNotBrought,
        "cancel_family" => AppointmentChange::Cancel { by_family: true },
        "cancel_service" => AppointmentChange::Cancel { by_family: false },
        "reschedule" => match when(&values) {
            Some(to) => AppointmentChange::Reschedule { to },
            None => {
                let errors =
                    FormErrors::one("when-day", "Enter a real date and a time, like 14:30");
                return render(&state, page, &who, seen, errors).await;
            }
        },
        _ => return Err(AppError::BadRequest("unknown change".into())),
    };
    let entry = who
        .visitor
        .audit(AuditAction::ReferralChanged, &state, &address)
        .by_organisation(Some(seen.organisation))
        .on("appointment", appointment.id)
        .about(seen.referral.subject_id)
        .because(field(&values, "change"));
    let now = state.clock.now();
    let changed = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                appointments::change(txn, appointment_id, version, change, now).await?;
                audit::record_in(txn, entry).await
            })
        })
        .await;
    match changed {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
        Err(StoreError::Refused(reason)) => {
            render(
                &state,
                page,
                &who,
                seen,
                FormErrors::one("transition", reason),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
