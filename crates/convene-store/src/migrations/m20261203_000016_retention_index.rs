//! An index for the daily retention check: the people not yet anonymised
//! who were recorded before the cut-off. Without it the check read the
//! whole people table every day, and once at every start: 69 s from disk
//! at a million people (docs/benchmarks.md), competing with every request
//! for the disk. With the id in the index the candidates are read from
//! the index alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
    AnonymisedAt,
    CreatedAt,
    Id,
}

const NAME: &str = "people_due_for_retention";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(People::Table)
                    .col(People::AnonymisedAt)
                    .col(People::CreatedAt)
                    .col(People::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(People::Table).to_owned())
            .await
    }
}
