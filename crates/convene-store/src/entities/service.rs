use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub minimum_age: Option<i32>,
    pub maximum_age: Option<i32>,
    pub is_free: bool,
    pub languages: String,
    pub document: String,
    pub source: String,
    pub last_modified: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivery_modes: String,
    pub who_can_refer: String,
    pub last_reviewed_at: Option<DateTimeUtc>,
    pub reviewed_by: Option<Uuid>,
    pub referrals_paused: bool,
    pub referral_capacity: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
