//! A person's record: sealed on the way in, opened on the way out, with
//! blind indexes for finding a person by name and for suggesting duplicates.

use chrono::{DateTime, NaiveDate, Utc};
use convene_domain::directory::postcodes::Postcode;
use convene_domain::people::{ContactPreference, PersonDetails};
use convene_domain::sealing::DataKeys;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::person::{self, ActiveModel, Column, Entity};

/// A person as Convene holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub details: PersonDetails,
    /// The organisation that first recorded them.
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Merged into another record, which now holds their history.
    pub merged_into: Option<Uuid>,
    /// When their identifying details were removed.
    pub anonymised_at: Option<DateTime<Utc>>,
}

/// Where a sealed value lives: it opens only there.
pub(crate) fn context(column: &str, id: Uuid) -> String {
    format!("people.{column}.{id}")
}

fn sealing(error: impl std::fmt::Display) -> StoreError {
    StoreError::Sealing(error.to_string())
}

struct Sealer<'k> {
    keys: &'k DataKeys,
    id: Uuid,
}

impl Sealer<'_> {
    fn seal(&self, column: &str, value: &str) -> Result<String, StoreError> {
        self.keys
            .seal(value, &context(column, self.id))
            .map_err(sealing)
    }

    fn seal_optional(
        &self,
        column: &str,
        value: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        value.map(|v| self.seal(column, v)).transpose()
    }

    fn open(&self, column: &str, sealed: &str) -> Result<String, StoreError> {
        self.keys
            .open(sealed, &context(column, self.id))
            .map_err(sealing)
    }

    fn open_optional(
        &self,
        column: &str,
        sealed: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        sealed.map(|s| self.open(column, s)).transpose()
    }
}

/// The blind index a name is found by.
pub fn name_index(keys: &DataKeys, given_name: &str, family_name: &str) -> String {
    keys.blind_index("person.name", &format!("{given_name} {family_name}"))
}

fn duplicate_index(keys: &DataKeys, details: &PersonDetails) -> Option<String> {
    details
        .duplicate_key()
        .map(|key| keys.blind_index("person.duplicate", &key))
}

pub(crate) fn sealed_columns(
    keys: &DataKeys,
    id: Uuid,
    details: &PersonDetails,
) -> Result<ActiveModel, StoreError> {
    let s = Sealer { keys, id };
    Ok(ActiveModel {
        given_name: Set(s.seal("given_name", &details.given_name)?),
        family_name: Set(s.seal("family_name", &details.family_name)?),
        date_of_birth: Set(s.seal_optional(
            "date_of_birth",
            details.date_of_birth.map(|d| d.to_string()).as_deref(),
        )?),
        phone: Set(s.seal_optional("phone", details.phone.as_deref())?),
        email: Set(s.seal_optional("email", details.email.as_deref())?),
        contact_preference: Set(details.contact_preference.map(|c| c.code().to_string())),
        preferred_language: Set(
            s.seal_optional("preferred_language", details.preferred_language.as_deref())?
        ),
        school: Set(s.seal_optional("school", details.school.as_deref())?),
        postcode: Set(s.seal_optional("postcode", details.postcode.as_ref().map(|p| p.as_str()))?),
        name_index: Set(name_index(keys, &details.given_name, &details.family_name)),
        duplicate_index: Set(duplicate_index(keys, details)),
        ..Default::default()
    })
}

fn open_row(keys: &DataKeys, row: person::Model) -> Result<Person, StoreError> {
    let s = Sealer { keys, id: row.id };
    let date_of_birth = s
        .open_optional("date_of_birth", row.date_of_birth.as_deref())?
        .map(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d"))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("date of birth: {e}")))?;
    let postcode = s
        .open_optional("postcode", row.postcode.as_deref())?
        .map(|text| Postcode::parse(&text))
        .transpose()
        .map_err(|_| StoreError::Corrupt("a stored postcode does not parse".into()))?;
    let contact_preference = row
        .contact_preference
        .as_deref()
        .map(|code| {
            ContactPreference::parse(code)
                .ok_or_else(|| StoreError::Corrupt(format!("contact preference {code}")))
        })
        .transpose()?;
    Ok(Person {
        id: row.id,
        details: PersonDetails {
            given_name: s.open("given_name", &row.given_name)?,
            family_name: s.open("family_name", &row.family_name)?,
            date_of_birth,
            phone: s.open_optional("phone", row.phone.as_deref())?,
            email: s.open_optional("email", row.email.as_deref())?,
            contact_preference,
            preferred_language: s
                .open_optional("preferred_language", row.preferred_language.as_deref())?,
            school: s.open_optional("school", row.school.as_deref())?,
            postcode,
        },
        recorded_by: row.recorded_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        merged_into: row.merged_into,
        anonymised_at: row.anonymised_at,
    })
}

/// Records a new person.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    id: Uuid,
    details: &PersonDetails,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut model = sealed_columns(keys, id, details)?;
    model.id = Set(id);
    model.recorded_by = Set(recorded_by);
    model.created_at = Set(now);
    model.updated_at = Set(now);
    model.merged_into = Set(None);
    model.anonymised_at = Set(None);
    Entity::insert(model).exec_without_returning(conn).await?;
    Ok(())
}

/// Replaces a person's details.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    id: Uuid,
    details: &PersonDetails,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut model = sealed_columns(keys, id, details)?;
    model.id = sea_orm::Unchanged(id);
    model.updated_at = Set(now);
    Entity::update(model)
        .exec(conn)
        .await
        .map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound,
            other => other.into(),
        })?;
    Ok(())
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    id: Uuid,
) -> Result<Option<Person>, StoreError> {
    Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|row| open_row(keys, row))
        .transpose()
}

/// People by id, opened (one query for a page of a list); ids not found
/// are left out.
pub async fn get_many<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Person>, StoreError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| open_row(keys, row).map(|p| (p.id, p)))
        .collect()
}

/// People recorded under exactly this name (case, accents and spacing
/// aside), oldest first; merged records are left out.
pub async fn named<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    given_name: &str,
    family_name: &str,
) -> Result<Vec<Person>, StoreError> {
    Entity::find()
        .filter(Column::NameIndex.eq(name_index(keys, given_name, family_name)))
        .filter(Column::MergedInto.is_null())
        .order_by_asc(Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| open_row(keys, row))
        .collect()
}

/// Records that may be the same person as `details` (same name, date of
/// birth and postcode), other than `except`.
pub async fn possible_duplicates<C: ConnectionTrait>(
    conn: &C,
    keys: &DataKeys,
    details: &PersonDetails,
    except: Option<Uuid>,
) -> Result<Vec<Person>, StoreError> {
    let Some(index) = duplicate_index(keys, details) else {
        return Ok(Vec::new());
    };
    let mut query = Entity::find()
        .filter(Column::DuplicateIndex.eq(index))
        .filter(Column::MergedInto.is_null());
    if let Some(except) = except {
        query = query.filter(Column::Id.ne(except));
    }
    query
        .order_by_asc(Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| open_row(keys, row))
        .collect()
}

/// Marks `duplicate` as merged into `kept`. The duplicate's row stays (its
/// history points at it) but is no longer found. Call in the transaction
/// that moves the duplicate's history.
pub async fn mark_merged<C: ConnectionTrait>(
    conn: &C,
    duplicate: Uuid,
    kept: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if duplicate == kept {
        return Err(StoreError::Refused(
            "a record cannot be merged into itself".into(),
        ));
    }
    let result = Entity::update_many()
        .col_expr(Column::MergedInto, sea_orm::sea_query::Expr::value(kept))
        .col_expr(Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .filter(Column::Id.eq(duplicate))
        .filter(Column::MergedInto.is_null())
        .exec(conn)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
