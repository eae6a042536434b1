//! Taxonomies and their terms.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{taxonomy, taxonomy_term};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub uri: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub id: Uuid,
    pub code: Option<String>,
    pub name: String,
    pub description: String,
    pub parent_id: Option<Uuid>,
    pub taxonomy_id: Option<Uuid>,
    pub taxonomy: Option<String>,
    pub term_uri: Option<String>,
}

pub async fn taxonomy<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<Taxonomy>, StoreError> {
    Ok(taxonomy::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_taxonomy))
}

pub async fn taxonomies<C: ConnectionTrait>(
    conn: &C,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Taxonomy>, u64), StoreError> {
    let query = taxonomy::Entity::find();
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(taxonomy::Column::Name)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows.into_iter().map(to_taxonomy).collect(), total))
}

pub async fn term<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Term>, StoreError> {
    Ok(taxonomy_term::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_term))
}

/// One page of terms (of one taxonomy, when given) by name.
pub async fn terms<C: ConnectionTrait>(
    conn: &C,
    taxonomy_id: Option<Uuid>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Term>, u64), StoreError> {
    let mut query = taxonomy_term::Entity::find();
    if let Some(id) = taxonomy_id {
        query = query.filter(taxonomy_term::Column::TaxonomyId.eq(id));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(taxonomy_term::Column::Name)
        .order_by_asc(taxonomy_term::Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows.into_iter().map(to_term).collect(), total))
}

fn to_taxonomy(m: taxonomy::Model) -> Taxonomy {
    Taxonomy {
        id: m.id,
        name: m.name,
        description: m.description,
        uri: m.uri,
        version: m.version,
    }
}

fn to_term(m: taxonomy_term::Model) -> Term {
    Term {
        id: m.id,
        code: m.code,
        name: m.name,
        description: m.description,
        parent_id: m.parent_id,
        taxonomy_id: m.taxonomy_id,
        taxonomy: m.taxonomy,
        term_uri: m.term_uri,
    }
}
