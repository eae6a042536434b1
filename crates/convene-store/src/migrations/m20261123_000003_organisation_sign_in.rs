//! Sign-in through an organisation's own identity provider (OpenID Connect),
//! and the short-lived records of sign-ins in progress.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrganisationSignIn {
    Table,
    OrganisationId,
    IssuerUrl,
    ClientId,
    ClientSecret,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OidcLogins {
    Table,
    StateHash,
    OrganisationId,
    Nonce,
    PkceVerifier,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrganisationSignIn::Table)
                    .col(
                        ColumnDef::new(OrganisationSignIn::OrganisationId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSignIn::IssuerUrl)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSignIn::ClientId)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSignIn::ClientSecret)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSignIn::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSignIn::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("organisation_sign_in_organisation")
                            .from(
                                OrganisationSignIn::Table,
                                OrganisationSignIn::OrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcLogins::Table)
                    .col(
                        ColumnDef::new(OidcLogins::StateHash)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OidcLogins::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(OidcLogins::Nonce).string().not_null())
                    .col(ColumnDef::new(OidcLogins::PkceVerifier).string().not_null())
                    .col(
                        ColumnDef::new(OidcLogins::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }
}
