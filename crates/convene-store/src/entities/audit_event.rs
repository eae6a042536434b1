use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub action: String,
    pub actor_user_id: Option<Uuid>,
    pub actor_organisation_id: Option<Uuid>,
    pub actor_token_id: Option<Uuid>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub subject_person_id: Option<Uuid>,
    pub purpose: Option<String>,
    pub client_address: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
