//! Messages grow up: the outbox learns what each message is (a staff
//! notice or a family's appointment reminder), how many times a worker took
//! it, and what the provider said; families' opt-outs, services' reminder
//! settings, coordinators' message templates, and a mark on follow-ups
//! whose lateness has been told.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Kind,
    Audience,
    AppointmentId,
    AppointmentStartsAt,
    Claims,
    ProviderId,
    DeliveredAt,
    ReferralId,
}

#[derive(DeriveIden)]
enum MessageOptOuts {
    Table,
    ContactIndex,
    Source,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum ServiceMessaging {
    Table,
    ServiceId,
    ReminderDays,
    Sensitive,
    NameAllowed,
    Phone,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum MessageTemplates {
    Table,
    Kind,
    Language,
    Subject,
    Body,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    NotifiedAt,
}

fn time(c: impl IntoIden, null: bool) -> ColumnDef {
    let mut col = ColumnDef::new(c);
    col.timestamp_with_time_zone();
    if null {
        col.null();
    } else {
        col.not_null();
    }
    col.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns = [
            ColumnDef::new(Outbox::Kind)
                .string_len(40)
                .not_null()
                .default("notice")
                .to_owned(),
            ColumnDef::new(Outbox::Audience)
                .string_len(16)
                .not_null()
                .default("staff")
                .to_owned(),
            ColumnDef::new(Outbox::AppointmentId)
                .uuid()
                .null()
                .to_owned(),
            time(Outbox::AppointmentStartsAt, true),
            ColumnDef::new(Outbox::Claims)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Outbox::ProviderId).text().null().to_owned(),
            time(Outbox::DeliveredAt, true),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // Messages queued before this migration were all new-referral
        // notices; they are composed again when sent.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE outbox SET kind = 'referral_received' WHERE kind = 'notice'",
            )
            .await?;
        for (name, column) in [
            ("outbox_appointment", Outbox::AppointmentId),
            ("outbox_referral", Outbox::ReferralId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Outbox::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(FollowUps::Table)
                    .add_column(time(FollowUps::NotifiedAt, true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageOptOuts::Table)
                    .col(
                        ColumnDef::new(MessageOptOuts::ContactIndex)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MessageOptOuts::Source)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(time(MessageOptOuts::CreatedAt, false))
                    .col(ColumnDef::new(MessageOptOuts::CreatedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceMessaging::Table)
                    .col(
                        ColumnDef::new(ServiceMessaging::ServiceId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ServiceMessaging::ReminderDays)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceMessaging::Sensitive)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceMessaging::NameAllowed)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceMessaging::Phone)
                            .string_len(40)
                            .null(),
                    )
                    .col(time(ServiceMessaging::UpdatedAt, false))
                    .col(ColumnDef::new(ServiceMessaging::UpdatedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageTemplates::Table)
                    .col(
                        ColumnDef::new(MessageTemplates::Kind)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MessageTemplates::Language)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MessageTemplates::Subject).text().not_null())
                    .col(ColumnDef::new(MessageTemplates::Body).text().not_null())
                    .col(time(MessageTemplates::UpdatedAt, false))
                    .col(
                        ColumnDef::new(MessageTemplates::UpdatedBy)
                            .uuid()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(MessageTemplates::Kind)
                            .col(MessageTemplates::Language),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MessageTemplates::Table.into_iden(),
            ServiceMessaging::Table.into_iden(),
            MessageOptOuts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
