use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub referral_id: Option<Uuid>,
    pub kind: String,
    pub basis: Option<String>,
    pub health_condition: Option<String>,
    /// Sealed.
    pub purpose: Option<String>,
    pub recipient_organisation_id: Option<Uuid>,
    pub items: String,
    /// Sealed.
    pub justification: Option<String>,
    pub privacy_notice_version: Option<String>,
    pub decided_by: Uuid,
    pub decided_by_organisation: Uuid,
    pub decided_at: DateTimeUtc,
    pub needs_safeguarding_review: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
