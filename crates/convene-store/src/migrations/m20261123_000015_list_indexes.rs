//! Indexes for lists read a page at a time at national scale:
//! - an organisation's received and made referrals, newest change first
//!   (hundreds to thousands a year per organisation), so a page does not
//!   mean sorting them all;
//! - the directory's active services by name, as the ORUK API pages
//!   through them (150,000 services), so a page does not mean sorting the
//!   whole table with its documents.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referrals {
    Table,
    ReceivingOrganisationId,
    ReferringOrganisationId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Status,
    Name,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, organisation) in [
            (
                "referrals_received_recent",
                Referrals::ReceivingOrganisationId,
            ),
            ("referrals_made_recent", Referrals::ReferringOrganisationId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Referrals::Table)
                        .col(organisation)
                        .col(Referrals::UpdatedAt)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("services_by_status_and_name")
                    .table(Services::Table)
                    .col(Services::Status)
                    .col(Services::Name)
                    .col(Services::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("services_by_status_and_name")
                    .table(Services::Table)
                    .to_owned(),
            )
            .await?;
        for name in ["referrals_received_recent", "referrals_made_recent"] {
            manager
                .drop_index(Index::drop().name(name).table(Referrals::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
