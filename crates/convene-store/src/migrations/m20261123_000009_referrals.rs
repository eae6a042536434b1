//! Referrals between organisations: who and what they are about, every
//! change of state, the sharing decisions that allow them, appointments and
//! attendance, and the follow-ups a missed appointment or a share without
//! consent sets in motion. Free text about people is stored sealed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referrals {
    Table,
    Id,
    ServiceId,
    ReceivingOrganisationId,
    ReferringOrganisationId,
    ReferredBy,
    SubjectId,
    State,
    Urgency,
    Reason,
    DeclineReason,
    RedirectedTo,
    RedirectedFrom,
    Outcome,
    CreatedAt,
    UpdatedAt,
    SentAt,
    ClosedAt,
    Version,
}

#[derive(DeriveIden)]
enum ReferralPeople {
    Table,
    ReferralId,
    PersonId,
    Role,
}

#[derive(DeriveIden)]
enum ReferralNeeds {
    Table,
    ReferralId,
    TermId,
}

#[derive(DeriveIden)]
enum ReferralEvents {
    Table,
    Id,
    ReferralId,
    At,
    Transition,
    FromState,
    ToState,
    ByUser,
    ByOrganisation,
    Detail,
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
    PersonId,
    ReferralId,
    Kind,
    Basis,
    HealthCondition,
    Purpose,
    RecipientOrganisationId,
    Items,
    Justification,
    PrivacyNoticeVersion,
    DecidedBy,
    DecidedByOrganisation,
    DecidedAt,
    NeedsSafeguardingReview,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    Id,
    ReferralId,
    StartsAt,
    DurationMinutes,
    Mode,
    Place,
    Status,
    BookedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    Id,
    OrganisationId,
    ReferralId,
    AppointmentId,
    Kind,
    CreatedAt,
    DueAt,
    DoneAt,
    DoneBy,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

fn at(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn at_or_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut create = Index::create();
    create.name(name).table(table.into_iden());
    for column in columns {
        create.col(column);
    }
    manager.create_index(create.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Referrals::Table)
                    .col(
                        ColumnDef::new(Referrals::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Referrals::ServiceId).uuid().not_null())
                    .col(
                        ColumnDef::new(Referrals::ReceivingOrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Referrals::ReferringOrganisationId)
                            .uuid()
                            .null(),
                    )
                    .col(ColumnDef::new(Referrals::ReferredBy).uuid().null())
                    .col(ColumnDef::new(Referrals::SubjectId).uuid().not_null())
                    .col(ColumnDef::new(Referrals::State).string_len(16).not_null())
                    .col(ColumnDef::new(Referrals::Urgency).string_len(16).not_null())
                    .col(ColumnDef::new(Referrals::Reason).text().not_null())
                    .col(ColumnDef::new(Referrals::DeclineReason).text().null())
                    .col(ColumnDef::new(Referrals::RedirectedTo).uuid().null())
                    .col(ColumnDef::new(Referrals::RedirectedFrom).uuid().null())
                    .col(ColumnDef::new(Referrals::Outcome).string_len(32).null())
                    .col(at(Referrals::CreatedAt))
                    .col(at(Referrals::UpdatedAt))
                    .col(at_or_null(Referrals::SentAt))
                    .col(at_or_null(Referrals::ClosedAt))
                    .col(
                        ColumnDef::new(Referrals::Version)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Referrals::Table, Referrals::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Referrals::Table, Referrals::ReceivingOrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Referrals::Table, Referrals::ReferringOrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Referrals::Table, Referrals::SubjectId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "referrals_inbox",
            Referrals::Table,
            vec![
                Referrals::ReceivingOrganisationId.into_iden(),
                Referrals::State.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "referrals_outgoing",
            Referrals::Table,
            vec![
                Referrals::ReferringOrganisationId.into_iden(),
                Referrals::State.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "referrals_by_subject",
            Referrals::Table,
            vec![Referrals::SubjectId.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralPeople::Table)
                    .col(ColumnDef::new(ReferralPeople::ReferralId).uuid().not_null())
                    .col(ColumnDef::new(ReferralPeople::PersonId).uuid().not_null())
                    .col(
                        ColumnDef::new(ReferralPeople::Role)
                            .string_len(32)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ReferralPeople::ReferralId)
                            .col(ReferralPeople::PersonId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReferralPeople::Table, ReferralPeople::ReferralId)
                            .to(Referrals::Table, Referrals::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReferralPeople::Table, ReferralPeople::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "referral_people_by_person",
            ReferralPeople::Table,
            vec![ReferralPeople::PersonId.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralNeeds::Table)
                    .col(ColumnDef::new(ReferralNeeds::ReferralId).uuid().not_null())
                    .col(ColumnDef::new(ReferralNeeds::TermId).uuid().not_null())
                    .primary_key(
                        Index::create()
                            .col(ReferralNeeds::ReferralId)
                            .col(ReferralNeeds::TermId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReferralNeeds::Table, ReferralNeeds::ReferralId)
                            .to(Referrals::Table, Referrals::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralEvents::Table)
                    .col(
                        ColumnDef::new(ReferralEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ReferralEvents::ReferralId).uuid().not_null())
                    .col(at(ReferralEvents::At))
                    .col(
                        ColumnDef::new(ReferralEvents::Transition)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ReferralEvents::FromState)
                            .string_len(16)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ReferralEvents::ToState)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ReferralEvents::ByUser).uuid().null())
                    .col(ColumnDef::new(ReferralEvents::ByOrganisation).uuid().null())
                    .col(ColumnDef::new(ReferralEvents::Detail).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReferralEvents::Table, ReferralEvents::ReferralId)
                            .to(Referrals::Table, Referrals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "referral_events_by_referral",
            ReferralEvents::Table,
            vec![
                ReferralEvents::ReferralId.into_iden(),
                ReferralEvents::At.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Shares::Table)
                    .col(ColumnDef::new(Shares::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Shares::PersonId).uuid().not_null())
                    .col(ColumnDef::new(Shares::ReferralId).uuid().null())
                    .col(ColumnDef::new(Shares::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Shares::Basis).string_len(32).null())
                    .col(
                        ColumnDef::new(Shares::HealthCondition)
                            .string_len(32)
                            .null(),
                    )
                    .col(ColumnDef::new(Shares::Purpose).text().null())
                    .col(
                        ColumnDef::new(Shares::RecipientOrganisationId)
                            .uuid()
                            .null(),
                    )
                    .col(ColumnDef::new(Shares::Items).text().not_null())
                    .col(ColumnDef::new(Shares::Justification).text().null())
                    .col(
                        ColumnDef::new(Shares::PrivacyNoticeVersion)
                            .string_len(40)
                            .null(),
                    )
                    .col(ColumnDef::new(Shares::DecidedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(Shares::DecidedByOrganisation)
                            .uuid()
                            .not_null(),
                    )
                    .col(at(Shares::DecidedAt))
                    .col(
                        ColumnDef::new(Shares::NeedsSafeguardingReview)
                            .boolean()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shares::Table, Shares::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "shares_by_person",
            Shares::Table,
            vec![Shares::PersonId.into_iden(), Shares::DecidedAt.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Appointments::Table)
                    .col(
                        ColumnDef::new(Appointments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Appointments::ReferralId).uuid().not_null())
                    .col(at(Appointments::StartsAt))
                    .col(
                        ColumnDef::new(Appointments::DurationMinutes)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Appointments::Mode).string_len(16).not_null())
                    .col(ColumnDef::new(Appointments::Place).text().null())
                    .col(
                        ColumnDef::new(Appointments::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Appointments::BookedBy).uuid().not_null())
                    .col(at(Appointments::CreatedAt))
                    .col(at(Appointments::UpdatedAt))
                    .col(
                        ColumnDef::new(Appointments::Version)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Appointments::Table, Appointments::ReferralId)
                            .to(Referrals::Table, Referrals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "appointments_by_referral",
            Appointments::Table,
            vec![
                Appointments::ReferralId.into_iden(),
                Appointments::StartsAt.into_iden(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FollowUps::Table)
                    .col(
                        ColumnDef::new(FollowUps::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(FollowUps::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(FollowUps::ReferralId).uuid().not_null())
                    .col(ColumnDef::new(FollowUps::AppointmentId).uuid().null())
                    .col(ColumnDef::new(FollowUps::Kind).string_len(32).not_null())
                    .col(at(FollowUps::CreatedAt))
                    .col(at_or_null(FollowUps::DueAt))
                    .col(at_or_null(FollowUps::DoneAt))
                    .col(ColumnDef::new(FollowUps::DoneBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowUps::Table, FollowUps::ReferralId)
                            .to(Referrals::Table, Referrals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "follow_ups_open",
            FollowUps::Table,
            vec![
                FollowUps::OrganisationId.into_iden(),
                FollowUps::DoneAt.into_iden(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FollowUps::Table.into_iden(),
            Appointments::Table.into_iden(),
            Shares::Table.into_iden(),
            ReferralEvents::Table.into_iden(),
            ReferralNeeds::Table.into_iden(),
            ReferralPeople::Table.into_iden(),
            Referrals::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
