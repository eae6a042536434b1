//! Editing the directory: Convene's own service fields, and every proposed
//! change kept as a version (who, when, what), pending until approved.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Services {
    Table,
    DeliveryModes,
    WhoCanRefer,
    LastReviewedAt,
    ReviewedBy,
}

#[derive(DeriveIden)]
enum ServiceVersions {
    Table,
    Id,
    ServiceId,
    OrganisationId,
    Document,
    DeliveryModes,
    WhoCanRefer,
    ChangedFields,
    BaseFingerprint,
    State,
    ProposedBy,
    ProposedAt,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            ColumnDef::new(Services::DeliveryModes)
                .string()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Services::WhoCanRefer)
                .string()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Services::LastReviewedAt)
                .timestamp_with_time_zone()
                .to_owned(),
            ColumnDef::new(Services::ReviewedBy).uuid().to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Services::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ServiceVersions::Table)
                    .col(
                        ColumnDef::new(ServiceVersions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServiceVersions::ServiceId).uuid().not_null())
                    .col(
                        ColumnDef::new(ServiceVersions::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceVersions::Document).text().not_null())
                    .col(
                        ColumnDef::new(ServiceVersions::BaseFingerprint)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceVersions::DeliveryModes)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceVersions::WhoCanRefer)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceVersions::ChangedFields)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceVersions::State).string().not_null())
                    .col(
                        ColumnDef::new(ServiceVersions::ProposedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceVersions::ProposedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceVersions::DecidedBy).uuid())
                    .col(ColumnDef::new(ServiceVersions::DecidedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("service_versions_by_service", ServiceVersions::ServiceId),
            ("service_versions_by_state", ServiceVersions::State),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ServiceVersions::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
