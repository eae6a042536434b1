//! Coordinators' own wording for each kind of message, per language. A
//! kind and language with none uses the built-in English template.

use chrono::{DateTime, Utc};
use convene_domain::messaging::templates::{
    self as rules, DEFAULT_LANGUAGE, MessageKind, Template, TemplateError,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::message_template::{ActiveModel, Column, Entity};

/// One spelling of a language name: "Polish", " polish " and "POLISH" are
/// the same.
pub fn language_key(language: &str) -> String {
    language.trim().to_lowercase()
}

/// A saved template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub kind: MessageKind,
    pub language: String,
    pub template: Template,
    pub updated_at: DateTime<Utc>,
}

/// The template for `kind` in `language`: the saved one, else the saved
/// English one, else the built-in one.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    kind: MessageKind,
    language: Option<&str>,
) -> Result<Template, StoreError> {
    let wanted = language.map(language_key);
    for language in wanted.iter().map(String::as_str).chain([DEFAULT_LANGUAGE]) {
        if let Some(row) = Entity::find_by_id((kind.code().to_string(), language.to_string()))
            .one(conn)
            .await?
        {
            return Ok(Template {
                subject: row.subject,
                body: row.body,
            });
        }
    }
    Ok(kind.default_template())
}

/// Every saved template.
pub async fn all<C: ConnectionTrait>(conn: &C) -> Result<Vec<Saved>, StoreError> {
    let rows = Entity::find()
        .order_by_asc(Column::Kind)
        .order_by_asc(Column::Language)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Saved {
                kind: MessageKind::parse(&row.kind)?,
                language: row.language,
                template: Template {
                    subject: row.subject,
                    body: row.body,
                },
                updated_at: row.updated_at,
            })
        })
        .collect())
}

/// Saves a template after checking it renders (and fits, for texts); a
/// template that does not is refused and nothing changes.
pub async fn save<C: ConnectionTrait>(
    conn: &C,
    kind: MessageKind,
    language: &str,
    template: &Template,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), TemplateSaveError> {
    let language = language_key(language);
    if language.is_empty() || language.chars().count() > 16 {
        return Err(TemplateSaveError::Language);
    }
    rules::check(kind, template).map_err(TemplateSaveError::Template)?;
    Entity::insert(ActiveModel {
        kind: Set(kind.code().to_string()),
        language: Set(language),
        subject: Set(template.subject.clone()),
        body: Set(template.body.clone()),
        updated_at: Set(now),
        updated_by: Set(by),
    })
    .on_conflict(
        OnConflict::columns([Column::Kind, Column::Language])
            .update_columns([
                Column::Subject,
                Column::Body,
                Column::UpdatedAt,
                Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await
    .map_err(|e| TemplateSaveError::Store(e.into()))?;
    Ok(())
}

/// Goes back to the built-in template for `kind` in `language`.
pub async fn reset<C: ConnectionTrait>(
    conn: &C,
    kind: MessageKind,
    language: &str,
) -> Result<(), StoreError> {
    Entity::delete_many()
        .filter(Column::Kind.eq(kind.code()))
        .filter(Column::Language.eq(language_key(language)))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateSaveError {
    #[error("{0}")]
    Template(TemplateError),
    #[error("Enter the language, in up to 16 letters, like English or Polish")]
    Language,
    #[error(transparent)]
    Store(#[from] StoreError),
}
