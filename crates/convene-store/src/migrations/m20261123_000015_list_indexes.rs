//! Indexes for lists read a page at a time at national scale:
//! - an organisation's received and made referrals, newest change first
//!   (hundreds to thousands a year per organisation), so a page does not
//!   mean sorting them all;
//! - the directory's active services by name, as the ORUK API pages
//!   through them (150,000 services), so a page does not mean sorting the
//!   whole table with its documents.
//!
//! And lookups the load benchmark found scanning whole tables at three
//! million referrals: the sharing decision a referral was sent on (checked
//! at every send), a service's open referrals (its capacity), and a
//! referral's follow-ups (its page).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referrals {
    Table,
    ReceivingOrganisationId,
    ReferringOrganisationId,
    UpdatedAt,
    ServiceId,
    State,
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    ReferralId,
    RecipientOrganisationId,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Kind,
    Name,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    ReferralId,
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
            .await?;
        let more = [
            Index::create()
                .name("shares_by_referral")
                .table(Shares::Table)
                .col(Shares::ReferralId)
                .col(Shares::RecipientOrganisationId)
                .to_owned(),
            Index::create()
                .name("referrals_by_service")
                .table(Referrals::Table)
                .col(Referrals::ServiceId)
                .col(Referrals::State)
                .to_owned(),
            Index::create()
                .name("follow_ups_by_referral")
                .table(FollowUps::Table)
                .col(FollowUps::ReferralId)
                .to_owned(),
            // The home page names a few of each kind (8,000 with a
            // national directory).
            Index::create()
                .name("organisations_by_kind")
                .table(Organisations::Table)
                .col(Organisations::Kind)
                .col(Organisations::Name)
                .to_owned(),
        ];
        for index in more {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("shares_by_referral", Shares::Table.into_iden()),
            ("referrals_by_service", Referrals::Table.into_iden()),
            ("follow_ups_by_referral", FollowUps::Table.into_iden()),
            ("organisations_by_kind", Organisations::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
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
