use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_ups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub referral_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub kind: String,
    pub created_at: DateTimeUtc,
    pub due_at: Option<DateTimeUtc>,
    pub done_at: Option<DateTimeUtc>,
    pub done_by: Option<Uuid>,
    pub notified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
