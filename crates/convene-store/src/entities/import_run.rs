use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub source: String,
    pub full: bool,
    pub status: String,
    pub requested_by: Option<Uuid>,
    pub requested_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub lease_until: Option<DateTimeUtc>,
    pub modified_after: Option<DateTimeUtc>,
    pub listed: bool,
    pub total: i64,
    pub fetched: i64,
    pub stored: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub closed: i64,
    pub problems: String,
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
