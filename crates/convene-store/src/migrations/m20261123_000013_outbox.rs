//! The transactional outbox: every message is a row written in the same
//! transaction as the change that causes it, and delivered afterwards by
//! the worker, with its attempts recorded.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Channel,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    CreatedAt,
    SentAt,
    LastError,
    ReferralId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let at = |c: Outbox, null: bool| {
            let mut col = ColumnDef::new(c);
            col.timestamp_with_time_zone();
            if null {
                col.null();
            } else {
                col.not_null();
            }
            col.to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(ColumnDef::new(Outbox::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Outbox::Channel).string_len(16).not_null())
                    .col(ColumnDef::new(Outbox::Recipient).text().not_null())
                    .col(ColumnDef::new(Outbox::Subject).text().not_null())
                    .col(ColumnDef::new(Outbox::Body).text().not_null())
                    .col(ColumnDef::new(Outbox::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Outbox::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(at(Outbox::NextAttemptAt, false))
                    .col(at(Outbox::LeaseUntil, true))
                    .col(at(Outbox::CreatedAt, false))
                    .col(at(Outbox::SentAt, true))
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .col(ColumnDef::new(Outbox::ReferralId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
