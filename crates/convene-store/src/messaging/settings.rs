//! Each service's reminder settings; a service with none set uses the
//! defaults (7 and 1 days before, not sensitive, no name).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use convene_domain::messaging::reminders::{ServiceReminders, parse_days};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::service_messaging::{ActiveModel, Column, Entity, Model};

pub async fn of_service<C: ConnectionTrait>(
    conn: &C,
    service: Uuid,
) -> Result<ServiceReminders, StoreError> {
    match Entity::find_by_id(service).one(conn).await? {
        Some(row) => to_reminders(row),
        None => Ok(ServiceReminders::default()),
    }
}

fn to_reminders(row: Model) -> Result<ServiceReminders, StoreError> {
    Ok(ServiceReminders {
        days_before: parse_days(&row.reminder_days)
            .map_err(|e| StoreError::Corrupt(format!("reminder days: {e}")))?,
        sensitive: row.sensitive,
        name_allowed: row.name_allowed && !row.sensitive,
        phone: row.phone,
    })
}

/// Several services' reminder settings in one query; a service with no
/// row has the defaults.
pub async fn of_services<C: ConnectionTrait>(
    conn: &C,
    services: &[Uuid],
) -> Result<HashMap<Uuid, ServiceReminders>, StoreError> {
    let mut found = HashMap::with_capacity(services.len());
    if services.is_empty() {
        return Ok(found);
    }
    for row in Entity::find()
        .filter(Column::ServiceId.is_in(services.iter().copied()))
        .all(conn)
        .await?
    {
        found.insert(row.service_id, to_reminders(row)?);
    }
    for service in services {
        found.entry(*service).or_default();
    }
    Ok(found)
}

pub async fn set<C: ConnectionTrait>(
    conn: &C,
    service: Uuid,
    settings: &ServiceReminders,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let days = settings
        .days_before
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    Entity::insert(ActiveModel {
        service_id: Set(service),
        reminder_days: Set(days),
        sensitive: Set(settings.sensitive),
        name_allowed: Set(settings.name_allowed && !settings.sensitive),
        phone: Set(settings.phone.clone()),
        updated_at: Set(now),
        updated_by: Set(Some(by)),
    })
    .on_conflict(
        OnConflict::column(Column::ServiceId)
            .update_columns([
                Column::ReminderDays,
                Column::Sensitive,
                Column::NameAllowed,
                Column::Phone,
                Column::UpdatedAt,
                Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
