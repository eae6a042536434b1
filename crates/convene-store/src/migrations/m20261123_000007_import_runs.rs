//! Directory imports as runs that survive a restart: what was asked for, by
//! whom, how far it got, and the records fetched so far (staged, not yet in
//! the directory), so an interrupted feed import resumes where it stopped
//! and a coordinator can watch its progress.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportRuns {
    Table,
    Id,
    Source,
    Full,
    Status,
    RequestedBy,
    RequestedAt,
    StartedAt,
    FinishedAt,
    LeaseUntil,
    ModifiedAfter,
    Listed,
    Total,
    Fetched,
    Stored,
    Created,
    Updated,
    Unchanged,
    Closed,
    Problems,
    Message,
}

#[derive(DeriveIden)]
enum ImportStaged {
    Table,
    RunId,
    Position,
    ItemId,
    Document,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let count = |name: ImportRuns| {
            ColumnDef::new(name)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(ImportRuns::Table)
                    .col(
                        ColumnDef::new(ImportRuns::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ImportRuns::Source).text().not_null())
                    .col(ColumnDef::new(ImportRuns::Full).boolean().not_null())
                    .col(ColumnDef::new(ImportRuns::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ImportRuns::RequestedBy).uuid().null())
                    .col(
                        ColumnDef::new(ImportRuns::RequestedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportRuns::StartedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ImportRuns::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ImportRuns::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ImportRuns::ModifiedAfter)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ImportRuns::Listed)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(count(ImportRuns::Total))
                    .col(count(ImportRuns::Fetched))
                    .col(count(ImportRuns::Stored))
                    .col(count(ImportRuns::Created))
                    .col(count(ImportRuns::Updated))
                    .col(count(ImportRuns::Unchanged))
                    .col(count(ImportRuns::Closed))
                    .col(ColumnDef::new(ImportRuns::Problems).text().not_null())
                    .col(ColumnDef::new(ImportRuns::Message).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("import_runs_by_status")
                    .table(ImportRuns::Table)
                    .col(ImportRuns::Status)
                    .col(ImportRuns::RequestedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportStaged::Table)
                    .col(ColumnDef::new(ImportStaged::RunId).uuid().not_null())
                    .col(
                        ColumnDef::new(ImportStaged::Position)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ImportStaged::ItemId).text().not_null())
                    .col(ColumnDef::new(ImportStaged::Document).text().null())
                    .primary_key(
                        Index::create()
                            .col(ImportStaged::RunId)
                            .col(ImportStaged::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportStaged::Table, ImportStaged::RunId)
                            .to(ImportRuns::Table, ImportRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportStaged::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportRuns::Table).to_owned())
            .await
    }
}
