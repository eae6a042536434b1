//! Key transitions of a child between schools, with the family's consent
//! for the receiving school to see their open referrals.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonTransitions {
    Table,
    Id,
    PersonId,
    Kind,
    ToOrganisationId,
    FlaggedByOrganisation,
    FlaggedBy,
    FlaggedAt,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonTransitions::Table)
                    .col(
                        ColumnDef::new(PersonTransitions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PersonTransitions::PersonId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonTransitions::Kind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonTransitions::ToOrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonTransitions::FlaggedByOrganisation)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonTransitions::FlaggedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonTransitions::FlaggedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonTransitions::Table, PersonTransitions::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PersonTransitions::Table,
                                PersonTransitions::ToOrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("person_transitions_by_receiver")
                    .table(PersonTransitions::Table)
                    .col(PersonTransitions::ToOrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonTransitions::Table).to_owned())
            .await
    }
}
