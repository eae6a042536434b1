use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub service_id: Uuid,
    pub receiving_organisation_id: Uuid,
    pub referring_organisation_id: Option<Uuid>,
    pub referred_by: Option<Uuid>,
    pub subject_id: Uuid,
    pub state: String,
    pub urgency: String,
    /// Sealed.
    pub reason: String,
    /// Sealed.
    pub decline_reason: Option<String>,
    pub redirected_to: Option<Uuid>,
    pub redirected_from: Option<Uuid>,
    pub outcome: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
